using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Admission;

/// <summary>
/// Admission rules against the real gateway and real sandboxed python3 kernels: each refused cell ends with an
/// <c>ExecutionRefused</c> error naming its rule, never reaches the kernel (its execution_count does not move and its
/// side effect is absent), is counted in <c>execution_refusals_total{rule}</c> and audited with the rule.
/// </summary>
[Collection(AdmissionGatewayCollection.Name)]
public sealed class AdmissionApiTests(AdmissionGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    /// <summary>What a refused cell would leave behind, had it run.</summary>
    private const string SideEffect = "refused_marker = 1";

    [Fact]
    public async Task OversizeCell_IsRefusedAsCodeSize_NeverReachesTheKernel_CountedAndAudited()
    {
        KernelSocket socket = await ConnectAsync(await StartKernelAsync());
        double before = await RefusalsAsync(AdmissionGatewayFixture.CodeSizeRuleName);
        int count = ExecutionCount(await socket.ExecuteAsync("1"));
        string code = SideEffect + "\n# " + new string('a', AdmissionGatewayFixture.MaxCodeBytes);

        ExecuteResult refused = await socket.ExecuteAsync(code);

        AssertRefused(refused, "code_size", $"this cell has {code.Length.ToString(CultureInfo.InvariantCulture)} bytes of code; the limit is 4096 bytes");
        await AssertNeverRanAsync(socket, count);
        Assert.Equal(before + 1, await RefusalsAsync(AdmissionGatewayFixture.CodeSizeRuleName));
        JsonObject audit = await AuditLineAsync(refused.MsgId);
        Assert.Equal("refused", (string?)audit["outcome"]);
        Assert.Equal("admission", (string?)audit["limit"]);
        Assert.Equal("code_size", (string?)audit["rule"]);
        Assert.Equal(code.Length, (long)audit["code_bytes"]!);
    }

    [Fact]
    public async Task DenyRule_RefusesTheGroupMembersCell_WhileAnotherUserRunsTheSameCode()
    {
        string code = "import socket\n" + SideEffect;
        double before = await RefusalsAsync(AdmissionGatewayFixture.SocketRule);

        ExecuteResult refused;
        await using (UserKernel sam = await UserKernel.StartAsync(this, AdmissionGatewayFixture.SamToken))
        {
            int count = ExecutionCount(await sam.Socket.ExecuteAsync("1"));
            refused = await sam.Socket.ExecuteAsync(code);

            AssertRefused(refused, AdmissionGatewayFixture.SocketRule, AdmissionGatewayFixture.SocketMessage);
            await AssertNeverRanAsync(sam.Socket, count);
        }
        await using (UserKernel tina = await UserKernel.StartAsync(this, AdmissionGatewayFixture.TinaToken))
        {
            ExecuteResult allowed = await tina.Socket.ExecuteAsync(code);
            Assert.Equal("ok", allowed.Status);
            Assert.Equal("True", (await tina.Socket.ExecuteAsync("print('refused_marker' in globals())")).Stdout.Trim());
        }

        Assert.Equal(before + 1, await RefusalsAsync(AdmissionGatewayFixture.SocketRule));
        JsonObject audit = await AuditLineAsync(refused.MsgId);
        Assert.Equal("sam", (string?)audit["user"]);
        Assert.Equal("refused", (string?)audit["outcome"]);
        Assert.Equal(AdmissionGatewayFixture.SocketRule, (string?)audit["rule"]);
    }

    [Fact]
    public async Task PathologicalRule_HittingItsTimeout_RefusesTheCell_AndTheGatewayGoesOn()
    {
        KernelSocket socket = await ConnectAsync(await StartKernelAsync());
        double before = await RefusalsAsync(AdmissionGatewayFixture.SlowRule);
        double timeoutsBefore = await MetricAsync("admission_rule_timeouts_total", AdmissionGatewayFixture.SlowRule);
        int count = ExecutionCount(await socket.ExecuteAsync("1"));

        ExecuteResult refused = await socket.ExecuteAsync(SideEffect + "\n# " + new string('x', 3000));

        AssertRefused(refused, AdmissionGatewayFixture.SlowRule, "the rule could not be evaluated within 100 ms, so the cell was not run");
        await AssertNeverRanAsync(socket, count); // the relay and the kernel answer on
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal(before + 1, await RefusalsAsync(AdmissionGatewayFixture.SlowRule));
        Assert.Equal(timeoutsBefore + 1, await MetricAsync("admission_rule_timeouts_total", AdmissionGatewayFixture.SlowRule));
        Assert.Equal(AdmissionGatewayFixture.SlowRule, (string?)(await AuditLineAsync(refused.MsgId))["rule"]);
        Assert.Contains("Admission rule `slow_rule` did not finish within 100 ms", Gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_EveryConfiguredRule_IsExportedFromTheStart()
    {
        RestResponse metrics = await GatewayRest.GetAsync(Gateway, "metrics");

        GatewayRest.ExpectStatus(metrics, HttpStatusCode.OK, Gateway);
        Assert.Contains("\nexecution_refusals_total{rule=\"never_used\"} 0\n", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("\nadmission_rule_timeouts_total{rule=\"never_used\"} 0\n", metrics.Body, StringComparison.Ordinal);
        foreach (string rule in new[] { "code_size", "malformed_request", AdmissionGatewayFixture.SocketRule, AdmissionGatewayFixture.SlowRule })
        {
            Assert.Contains($"\nexecution_refusals_total{{rule=\"{rule}\"}} ", metrics.Body, StringComparison.Ordinal);
        }
    }

    private static void AssertRefused(ExecuteResult refused, string rule, string message)
    {
        string expected = $"execution refused by rule `{rule}`: {message}";
        Assert.Equal("error", refused.Status);
        Assert.Equal("ExecutionRefused", refused.Reply.ContentText("ename"));
        Assert.Equal(expected, refused.Reply.ContentText("evalue"));
        ReceivedFrame notice = Assert.Single(refused.IOPub, f => f.MsgType == "stream");
        Assert.Equal("stderr", notice.ContentText("name"));
        Assert.Equal($"[{expected}]\n", notice.ContentText("text"));
        Assert.DoesNotContain(refused.IOPub, f => f.MsgType is "execute_input" or "error"); // the kernel never saw it
    }

    /// <summary>The refused cell left no trace in the kernel: the next cell is the one after <paramref name="countBefore"/>.</summary>
    private static async Task AssertNeverRanAsync(KernelSocket socket, int countBefore)
    {
        ExecuteResult next = await socket.ExecuteAsync("print('refused_marker' in globals())");
        Assert.Equal("False", next.Stdout.Trim());
        Assert.Equal(countBefore + 1, ExecutionCount(next));
    }

    private static int ExecutionCount(ExecuteResult result) =>
        result.Reply.Content?["execution_count"]?.GetValue<int>() ?? throw new InvalidOperationException($"no execution_count in {result.Reply}");

    private Task<double> RefusalsAsync(string rule) => MetricAsync("execution_refusals_total", rule);

    private async Task<double> MetricAsync(string name, string rule) =>
        MetricsText.Value((await GatewayRest.GetAsync(Gateway, "metrics")).Body, name, $"rule=\"{rule}\"");

    private async Task<JsonObject> AuditLineAsync(string msgId)
    {
        JsonObject? found = null;
        await GatewayRest.EventuallyAsync(async () =>
        {
            string text = File.Exists(fixture.AuditPath) ? await SharedFile.ReadAllTextAsync(fixture.AuditPath) : "";
            found = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonNode.Parse(l) as JsonObject)
                .FirstOrDefault(o => (string?)o?["msg_id"] == msgId);
            return (found is not null, $"{text.Length} bytes of audit log");
        }, TestTimeouts.Reply, $"the audit line of {msgId}");
        return found!;
    }

    /// <summary>A kernel of one of the fixture's users, with a connected socket; deleted with the user's token.</summary>
    private sealed class UserKernel : IAsyncDisposable
    {
        private readonly HttpClient _client;
        private readonly GatewayProcess _gateway;
        private readonly string _kernel;

        private UserKernel(HttpClient client, GatewayProcess gateway, string kernel, KernelSocket socket)
        {
            _client = client;
            _gateway = gateway;
            _kernel = kernel;
            Socket = socket;
        }

        public KernelSocket Socket { get; }

        public static async Task<UserKernel> StartAsync(AdmissionApiTests test, string token)
        {
            HttpClient client = test.Gateway.CreateHttpClient(token);
            RestResponse created = await GatewayRest.SendAsync(client, HttpMethod.Post, test.Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
            GatewayRest.ExpectStatus(created, HttpStatusCode.Created, test.Gateway);
            string kernel = created.Json!["id"]!.GetValue<string>();
            string session = Guid.NewGuid().ToString();
            KernelSocket socket = test.Track(await KernelSocket.ConnectAsync(test.Gateway.ChannelsUri(kernel, session, queryToken: null), session, token));
            await socket.KernelInfoAsync();
            return new UserKernel(client, test.Gateway, kernel, socket);
        }

        public async ValueTask DisposeAsync()
        {
            await GatewayRest.SendAsync(_client, HttpMethod.Delete, _gateway.Url($"api/kernels/{_kernel}"));
            _client.Dispose();
        }
    }
}
