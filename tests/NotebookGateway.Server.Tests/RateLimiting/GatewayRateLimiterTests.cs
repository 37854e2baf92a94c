using System.Text.Json;
using Microsoft.Extensions.Options;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Server.RateLimiting;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Tests.RateLimiting;

public sealed class GatewayRateLimiterTests
{
    private static GatewayRateLimiter Create(RateLimitOptions options) => new(Options.Create(options));

    [Fact]
    public void TryStartKernel_BeyondTheBurst_IsRefusedWithARetryAfterPerUser()
    {
        using GatewayRateLimiter limiter = Create(new RateLimitOptions { KernelStartsPerMinute = 3 });

        Assert.Null(limiter.TryStartKernel("u"));
        Assert.Null(limiter.TryStartKernel("u"));
        Assert.Null(limiter.TryStartKernel("u"));
        RateLimitRefusal? refusal = limiter.TryStartKernel("u");

        Assert.NotNull(refusal);
        Assert.Equal(RateLimitKinds.KernelStart, refusal.Kind);
        Assert.Contains("at most 3 kernel starts per minute", refusal.Message, StringComparison.Ordinal);
        // One token every 20 s.
        Assert.InRange(refusal.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
        Assert.Null(limiter.TryStartKernel("other")); // every user has a bucket of their own
    }

    [Fact]
    public void Limits_PerUserOverrideAndZero_OverrideTheDefaultOrTurnTheLimitOff()
    {
        using GatewayRateLimiter limiter = Create(new RateLimitOptions
        {
            ExecuteRequestsPerMinute = 1,
            Users = { ["fast"] = new UserRateLimits { ExecuteRequestsPerMinute = 0 }, ["slow"] = new UserRateLimits { KernelStartsPerMinute = 1 } },
        });

        Assert.All(Enumerable.Range(0, 100), _ => Assert.Null(limiter.TryExecute("fast")));
        Assert.Null(limiter.TryExecute("slow"));
        Assert.NotNull(limiter.TryExecute("slow")); // inherits the section's 1 per minute
        Assert.Null(limiter.TryStartKernel("slow"));
        Assert.NotNull(limiter.TryStartKernel("slow"));
    }

    [Fact]
    public void TryOpenWebSocket_ConcurrentLimit_FreesTheSlotWhenTheLeaseIsDisposed()
    {
        using GatewayRateLimiter limiter = Create(new RateLimitOptions { WebSocketConnectionsPerMinute = 0, ConcurrentWebSockets = 1 });

        Assert.Null(limiter.TryOpenWebSocket("u", out IDisposable? first));
        RateLimitRefusal? second = limiter.TryOpenWebSocket("u", out IDisposable? none);
        Assert.NotNull(second);
        Assert.Null(none);
        Assert.Contains("1 open websocket connections", second.Message, StringComparison.Ordinal);

        first!.Dispose();
        Assert.Null(limiter.TryOpenWebSocket("u", out IDisposable? third));
        third!.Dispose();
    }

    [Fact]
    public void ExecuteRateGate_RefusedExecute_AnswersLikeAFailedCell()
    {
        using GatewayRateLimiter limiter = Create(new RateLimitOptions { ExecuteRequestsPerMinute = 1 });
        var gate = new ExecuteRateGate(limiter, "u");
        JupyterMessage Request(string msgType)
        {
            MessageHeader header = MessageHeader.Create(msgType, "client-session", "u");
            return new JupyterMessage(header, header.ToJson(), "{}"u8.ToArray(), "{}"u8.ToArray(), """{"code":"1"}"""u8.ToArray());
        }

        Assert.Null(gate.Check(Request(MessageTypes.ExecuteRequest)));
        Assert.Null(gate.Check(Request(MessageTypes.KernelInfoRequest))); // only executes count
        JupyterMessage request = Request(MessageTypes.ExecuteRequest);
        ExecutionRefusal? refused = gate.Check(request);

        Assert.NotNull(refused);
        Assert.Equal([MessageTypes.Status, MessageTypes.Stream, MessageTypes.Status], refused.IOPub.Select(m => m.MsgType));
        Assert.All(refused.IOPub, m => Assert.Equal(request.Header.MsgId, m.ParentMsgId));
        Assert.Equal(MessageTypes.ExecuteReply, refused.Reply.MsgType);
        Assert.Equal(request.Header.MsgId, refused.Reply.ParentMsgId);
        using JsonDocument reply = JsonDocument.Parse(refused.Reply.ContentJson);
        Assert.Equal("error", reply.RootElement.GetProperty("status").GetString());
        Assert.Equal("RateLimitExceeded", reply.RootElement.GetProperty("ename").GetString());
        Assert.Contains("1 execute requests per minute", reply.RootElement.GetProperty("evalue").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NegativeValues_AreListedWithTheirPath()
    {
        var options = new RateLimitOptions { KernelStartsPerMinute = -1, Users = { ["a"] = new UserRateLimits { ConcurrentWebSockets = -2 } } };

        IReadOnlyList<string> errors = options.Validate();

        Assert.Contains(errors, e => e.Contains("RateLimits:KernelStartsPerMinute", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("RateLimits:Users:a:ConcurrentWebSockets", StringComparison.Ordinal));
    }
}
