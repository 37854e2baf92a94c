using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using NotebookGateway.Server.Tests.Languages;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Monitoring;

/// <summary>
/// Issue 13 on real sandboxes: each behaviour is performed by a python cell, and shows up in the kernel's security
/// timeline with the right kernel and user, in the metrics, in the audit log and in the admin view — and not at all for
/// another user.
/// </summary>
[Collection(MonitoringGatewayCollection.Name)]
public sealed class BehaviourSignalTests(MonitoringGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    public static TheoryData<string, string> Behaviours => new()
    {
        { "network_socket", "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_STREAM).close()" },
        { "ptrace", "import ctypes\nprint(ctypes.CDLL(None, use_errno=True).ptrace(0, 0, 0, 0))" },
        { "namespace", "import ctypes\nprint(ctypes.CDLL(None, use_errno=True).unshare(0x10000000))" },
        { "mount", "import ctypes\nprint(ctypes.CDLL(None, use_errno=True).mount(b'none', b'/tmp', b'tmpfs', 0, None))" },
        { "pids_limit", $"import subprocess\nsubprocess.run(['sh', '-c', {Quoted(LanguageCases.ForkBomb)}])" },
        { "oom", "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))" },
        { "cpu_budget", "while True:\n    pass" },
        { "output_cap", "for i in range(5000):\n    print('x' * 100)" },
    };

    [Theory]
    [MemberData(nameof(Behaviours))]
    public async Task Behaviour_IsInTheOwnersTimeline_TheMetrics_TheAuditLog_AndTheAdminView_ButNotForAnotherUser(string kind, string code)
    {
        double before = await SignalCountAsync(kind);
        string id = await StartAliceKernelAsync();
        (_, KernelSocket? socket, string? error) = await KernelSocket.TryConnectAsync(Gateway.ChannelsUri(id, "alice-session", queryToken: null), "alice-session", MonitoringGatewayFixture.AliceToken);
        Assert.True(socket is not null, error);
        Track(socket!);
        await socket!.SendAsync(JupyterMessages.ExecuteRequest(socket.SessionId, code));

        JsonObject? signal = null;
        await GatewayRest.EventuallyAsync(async () =>
        {
            JsonArray events = await EventsAsync(MonitoringGatewayFixture.AliceToken, $"api/kernels/{id}/events");
            signal = events.OfType<JsonObject>().FirstOrDefault(e => e["kind"]?.GetValue<string>() == kind);
            return (signal is not null, events.ToJsonString());
        }, TestTimeouts.Step, $"a {kind} event in the kernel's timeline");
        Assert.Equal(id, signal!["kernel_id"]!.GetValue<string>());
        Assert.Equal("alice", signal["user"]!.GetValue<string>());
        Assert.Equal("python3", signal["kernel_name"]!.GetValue<string>());
        Assert.True(signal["count"]!.GetValue<long>() >= 1);

        Assert.True(await SignalCountAsync(kind) > before, $"sandbox_security_signals_total{{kind=\"{kind}\"}} did not grow");
        await GatewayRest.EventuallyAsync(async () =>
        {
            string audit = File.Exists(fixture.AuditPath) ? await SharedFile.ReadAllTextAsync(fixture.AuditPath) : "";
            bool found = audit.Split('\n').Any(l => l.Contains("\"event\":\"security\"", StringComparison.Ordinal)
                && l.Contains($"\"kernel_id\":\"{id}\"", StringComparison.Ordinal) && l.Contains($"\"kind\":\"{kind}\"", StringComparison.Ordinal));
            return (found, $"{audit.Length} bytes of audit log");
        }, TestTimeouts.Short, "the audit line");

        // Bob sees nothing of it: not the kernel's timeline, not the admin view.
        GatewayRest.ExpectJsonError(await SendAsync(MonitoringGatewayFixture.BobToken, $"api/kernels/{id}/events"), HttpStatusCode.NotFound);
        GatewayRest.ExpectJsonError(await SendAsync(MonitoringGatewayFixture.BobToken, "api/admin/events?user=alice"), HttpStatusCode.Forbidden);
        JsonArray bobsOwn = await EventsAsync(MonitoringGatewayFixture.BobToken, $"api/kernels/{await StartKernelAsAsync(MonitoringGatewayFixture.BobToken)}/events");
        Assert.DoesNotContain(bobsOwn, e => e!["kernel_id"]!.GetValue<string>() == id);

        // Carol, an admin, finds it across kernels.
        JsonArray all = await EventsAsync(MonitoringGatewayFixture.CarolToken, $"api/admin/events?user=alice&kind={kind}");
        Assert.Contains(all, e => e!["kernel_id"]!.GetValue<string>() == id && e["kind"]!.GetValue<string>() == kind);
    }

    /// <summary>No false positives: starting a kernel and running ordinary cells raises nothing (interpreters, relays and ZeroMQ included).</summary>
    [Theory]
    [InlineData("python3", "print(sum(range(10)))")]
    [InlineData("ir", "print(sum(1:10))")]
    [InlineData("javascript", "console.log([1, 2, 3].length)")]
    [InlineData("bash", "ls / | wc -l")]
    [InlineData("c", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }")]
    public async Task OrdinaryWork_RaisesNoSignal(string spec, string code)
    {
        RestResponse created = await GatewayRest.SendAsync(Gateway.CreateHttpClient(MonitoringGatewayFixture.BobToken), HttpMethod.Post, Gateway.Url("api/kernels"),
            $$"""{"name":"{{spec}}"}""", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string id = created.Json!["id"]!.GetValue<string>();
        DeleteAfterTestAs(id, MonitoringGatewayFixture.BobToken);
        (_, KernelSocket? socket, string? error) = await KernelSocket.TryConnectAsync(Gateway.ChannelsUri(id, "bob-quiet", queryToken: null), "bob-quiet", MonitoringGatewayFixture.BobToken);
        Assert.True(socket is not null, error);
        Track(socket!);
        ExecuteResult result = await socket!.ExecuteAsync(code, TestTimeouts.Step);
        Assert.Equal("ok", result.Status);
        JsonArray events = await EventsAsync(MonitoringGatewayFixture.BobToken, $"api/kernels/{id}/events");
        Assert.True(events.Count == 0, $"{spec}: {events.ToJsonString()}");
    }

    [Fact]
    public async Task CountersOfEveryKind_AreExportedAtZeroBeforeTheFirstSignal()
    {
        string metrics = await ScrapeAsync();
        foreach (string kind in (string[])["ptrace", "mount", "namespace", "kernel_interface", "network_socket", "egress_denied"])
        {
            Assert.Contains($"sandbox_security_signals_total{{kernel_name=\"bash\",kind=\"{kind}\"}}", metrics, StringComparison.Ordinal);
        }
        Assert.Contains("quota_rejections_total{kind=\"kernels\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("rate_limit_hits_total{kind=\"execute\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("execution_timeouts_total{limit=\"background_cpu\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("kernel_forged_messages_total{msg_type=\"execute_reply\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepeatedEscapeAttempts_StopTheKernel_AndTheCellAndTimelineSayWhy()
    {
        string id = await StartAliceKernelAsync();
        (_, KernelSocket? socket, string? error) = await KernelSocket.TryConnectAsync(Gateway.ChannelsUri(id, "alice-stop", queryToken: null), "alice-stop", MonitoringGatewayFixture.AliceToken);
        Assert.True(socket is not null, error);
        Track(socket!);
        JsonObject request = JupyterMessages.ExecuteRequest(socket!.SessionId,
            "import ctypes, time\nlibc = ctypes.CDLL(None, use_errno=True)\nfor _ in range(50):\n    libc.setns(0, 0)\n    time.sleep(0.05)\ntime.sleep(60)");
        await socket.SendAsync(request);
        await socket.WaitForAsync(f => f.MsgType == "stream" && f.ParentMsgId == JupyterMessages.MsgId(request)
            && (f.ContentText("text") ?? "").Contains("stopped by the gateway: 5 namespace signals", StringComparison.Ordinal), TestTimeouts.Step, "the notice in the cell");
        await socket.WaitForAsync(f => f.MsgType == "status" && f.ContentText("execution_state") == "dead", TestTimeouts.Step, "the dead status");
        JsonArray events = await EventsAsync(MonitoringGatewayFixture.AliceToken, $"api/kernels/{id}/events");
        Assert.Contains(events, e => e!["kind"]!.GetValue<string>() == "namespace");
        Assert.Contains(events, e => e!["kind"]!.GetValue<string>() == "kernel_stopped" && e["detail"]!.GetValue<string>().Contains("Monitoring:StopRules:0", StringComparison.Ordinal));
        await GatewayRest.EventuallyAsync(async () =>
        {
            RestResponse gone = await SendAsync(MonitoringGatewayFixture.AliceToken, $"api/kernels/{id}");
            return (gone.Status == HttpStatusCode.NotFound, gone.Status.ToString());
        }, TestTimeouts.Step, "the stopped kernel to be gone");
    }

    private static string Quoted(string text) => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private async Task<string> StartAliceKernelAsync() => await StartKernelAsAsync(MonitoringGatewayFixture.AliceToken);

    private async Task<string> StartKernelAsAsync(string token)
    {
        RestResponse created = await GatewayRest.SendAsync(Gateway.CreateHttpClient(token), HttpMethod.Post, Gateway.Url("api/kernels"), """{"name":"python3"}""", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string id = created.Json!["id"]!.GetValue<string>();
        DeleteAfterTestAs(id, token);
        return id;
    }

    private readonly List<(string Id, string Token)> _owned = [];

    private void DeleteAfterTestAs(string id, string token) => _owned.Add((id, token));

    public override async Task DisposeAsync()
    {
        foreach ((string id, string token) in _owned)
        {
            await GatewayRest.SendAsync(Gateway.CreateHttpClient(token), HttpMethod.Delete, Gateway.Url($"api/kernels/{id}"), null, timeout: TestTimeouts.Step);
        }
        await base.DisposeAsync();
    }

    private Task<RestResponse> SendAsync(string token, string relative) =>
        GatewayRest.SendAsync(Gateway.CreateHttpClient(token), HttpMethod.Get, Gateway.Url(relative), null, timeout: TestTimeouts.Short);

    private async Task<JsonArray> EventsAsync(string token, string relative)
    {
        RestResponse response = await SendAsync(token, relative);
        GatewayRest.ExpectStatus(response, HttpStatusCode.OK, Gateway);
        return (JsonArray)response.Json!;
    }

    private async Task<double> SignalCountAsync(string kind) =>
        MetricsText.Value(await ScrapeAsync(), "sandbox_security_signals_total", $"kind=\"{kind}\"", "kernel_name=\"python3\"");

    private async Task<string> ScrapeAsync()
    {
        RestResponse metrics = await GatewayRest.GetAsync(Gateway, "metrics");
        GatewayRest.ExpectStatus(metrics, HttpStatusCode.OK, Gateway);
        return metrics.Body;
    }
}

/// <summary>alice, bob and carol (admin); a CPU budget of 2 s, a 64 KiB output cap, an audit log, and a stop rule for namespace attempts.</summary>
public sealed class MonitoringGatewayFixture : GatewayFixture, IDisposable
{
    public static readonly string AliceToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
    public static readonly string BobToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
    public static readonly string CarolToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("nbgw-monitoring-");

    public string AuditPath => Path.Combine(_directory.FullName, "audit.jsonl");

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Users:0:Name"] = "alice",
        ["Users:0:TokenSha256"] = TokenSha256(AliceToken),
        ["Users:1:Name"] = "bob",
        ["Users:1:TokenSha256"] = TokenSha256(BobToken),
        ["Users:2:Name"] = "carol",
        ["Users:2:TokenSha256"] = TokenSha256(CarolToken),
        ["Users:2:Groups:0"] = "admin",
        ["Audit:Path"] = AuditPath,
        ["Execution:WallClockSecondsPerCell"] = "0",
        ["Execution:CpuSecondsPerWindow"] = "2",
        ["Execution:CpuWindowSeconds"] = "30",
        ["Execution:CpuSampleSeconds"] = "0.5",
        ["Execution:Users:alice:OutputBytesPerCell"] = "65536",
        ["Monitoring:StopRules:0:Kinds:0"] = "namespace",
        ["Monitoring:StopRules:0:Count"] = "5",
        ["Monitoring:StopRules:0:WindowSeconds"] = "60",
        ["Quotas:Default:MaxKernels"] = "10",
    };

    public void Dispose() => _directory.Delete(recursive: true);
}

[CollectionDefinition(Name)]
public sealed class MonitoringGatewayCollection : ICollectionFixture<MonitoringGatewayFixture>
{
    public const string Name = "gateway watching behaviour signals";
}
