using System.Text;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Tests.Relay;

/// <summary>The streaming-path output protection, on a virtual clock.</summary>
public sealed class OutputLimiterTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly JupyterMessage _cell = JupyterMessage.Create(MessageTypes.ExecuteRequest, "{\"code\":\"x\"}"u8.ToArray(), "client", "u");

    private JupyterMessage Output(int bytes) => JupyterMessage.Create(
        MessageTypes.Stream,
        Encoding.UTF8.GetBytes("{\"name\":\"stdout\",\"text\":\"" + new string('x', bytes) + "\"}"),
        "kernel", "k", _cell);

    private JupyterMessage Status(string state) => JupyterMessage.Create(
        MessageTypes.Status, Encoding.UTF8.GetBytes("{\"execution_state\":\"" + state + "\"}"), "kernel", "k", _cell);

    [Fact]
    public void ShouldForward_CellOverByteCap_OneNoticeInTheCellThenDropsEverything()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = 10_000, IOPubMessagesPerSecond = 100_000, IOPubBytesPerSecond = 100_000_000 }, _time);
        int forwarded = 0;
        var notices = new List<JupyterMessage>();

        for (int i = 0; i < 100; i++)
        {
            if (limiter.ShouldForward(Output(1000), out JupyterMessage? notice))
            {
                forwarded++;
            }
            if (notice is not null)
            {
                notices.Add(notice);
            }
        }

        Assert.InRange(forwarded, 9, 10);
        JupyterMessage only = Assert.Single(notices);
        Assert.Equal(_cell.MsgId, only.ParentMsgId);
        Assert.Equal("stderr", only.GetContentString("name"));
        Assert.Contains("output truncated", only.GetContentString("text"), StringComparison.Ordinal);
        Assert.Equal(100 - forwarded, limiter.Dropped);
        Assert.True(limiter.ShouldForward(Status(ExecutionStates.Idle), out _), "status always passes");
    }

    [Fact]
    public void ShouldForward_RateAboveLimit_NoticeThenDropUntilIdle()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = long.MaxValue, IOPubMessagesPerSecond = 10, IOPubBytesPerSecond = 1_000_000, RateWindowSeconds = 1 }, _time);
        var results = Enumerable.Range(0, 30).Select(_ => limiter.ShouldForward(Output(10), out JupyterMessage? n) ? "ok" : n is null ? "drop" : "notice").ToList();

        Assert.Equal(10, results.Count(r => r == "ok"));
        Assert.Equal(1, results.Count(r => r == "notice"));
        Assert.False(limiter.ShouldForward(Output(10), out _));
        // The kernel goes idle: counters reset, output flows again.
        Assert.True(limiter.ShouldForward(Status(ExecutionStates.Idle), out _));
        Assert.True(limiter.ShouldForward(Output(10), out _));
    }

    [Fact]
    public void ShouldForward_RateFallsBelowEightyPercent_ResumesInTheNextWindow()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = long.MaxValue, IOPubMessagesPerSecond = 10, IOPubBytesPerSecond = 1_000_000, RateWindowSeconds = 1 }, _time);
        for (int i = 0; i < 20; i++)
        {
            limiter.ShouldForward(Output(10), out _);
        }
        Assert.False(limiter.ShouldForward(Output(10), out _));

        _time.Advance(TimeSpan.FromSeconds(1.5));
        _time.Advance(TimeSpan.FromSeconds(1.5)); // a quiet window

        Assert.True(limiter.ShouldForward(Output(10), out _));
    }

    [Fact]
    public void ShouldForward_ManyCells_StateIsForgottenWhenEachCellEnds()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = 100 }, _time);
        for (int i = 0; i < 1000; i++)
        {
            JupyterMessage cell = JupyterMessage.Create(MessageTypes.ExecuteRequest, "{}"u8.ToArray(), "c", "u");
            JupyterMessage output = JupyterMessage.Create(MessageTypes.Stream, "{\"name\":\"stdout\",\"text\":\"hi\"}"u8.ToArray(), "k", "k", cell);
            JupyterMessage idle = JupyterMessage.Create(MessageTypes.Status, "{\"execution_state\":\"idle\"}"u8.ToArray(), "k", "k", cell);
            Assert.True(limiter.ShouldForward(output, out _));
            Assert.True(limiter.ShouldForward(idle, out _));
        }

        Assert.Equal(0, limiter.TrackedCells);
    }
}
