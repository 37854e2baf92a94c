using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Security;

/// <summary>
/// Issue 11 through the real gateway: the policy each user gets (group, user override, spec default) is what
/// /api/kernelspecs shows and what their kernels run under; a user without it cannot get it by asking (environment,
/// a start body field, a session change); decisions reach the audit log and the metrics; a byte-cap cut reaches the cell.
/// </summary>
[Collection(EgressGatewayCollection.Name)]
public sealed class EgressPolicyTests(EgressGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private readonly List<(string User, string Kernel)> _kernels = [];

    private EgressTestServer Server => fixture.Server;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync(); // sockets first
        foreach ((string user, string kernel) in _kernels)
        {
            await SendAsync(user, HttpMethod.Delete, $"api/kernels/{kernel}");
        }
    }

    [Fact]
    public async Task KernelSpecs_ShowEachUsersPolicy_GroupGrantsIt_UserEntryWins()
    {
        JsonObject Python3Of(RestResponse specs) => (JsonObject)specs.Json!["kernelspecs"]!["python3"]!;

        JsonObject alice = Python3Of(await SendAsync("alice", HttpMethod.Get, "api/kernelspecs"));
        Assert.Equal("loopback", alice["network_policy"]!.GetValue<string>());
        Assert.Equal($"127.0.0.1:{Server.HttpPort},127.0.0.1:{Server.HttpsPort}", alice["network_destinations"]!.GetValue<string>());
        Assert.Equal("none", Python3Of(await SendAsync("bob", HttpMethod.Get, "api/kernelspecs"))["network_policy"]!.GetValue<string>());
        Assert.Equal("none", Python3Of(await SendAsync("carol", HttpMethod.Get, "api/kernelspecs"))["network_policy"]!.GetValue<string>());
        Assert.Equal("loopback", (await SendAsync("alice", HttpMethod.Get, "api/kernelspecs/python3")).Json!["network_policy"]!.GetValue<string>());
    }

    [Fact]
    public async Task PolicyKernel_FetchesThroughTheProxy_DecisionsAreAuditedAndCounted_ByteCapTellsTheCell()
    {
        string kernel = await StartAsync("alice", """{"name":"python3"}""");
        KernelSocket socket = await ConnectAsUserAsync("alice", kernel);

        ExecuteResult fetched = await socket.ExecuteAsync($$"""
            import urllib.request, urllib.error
            print(urllib.request.urlopen('http://127.0.0.1:{{Server.HttpPort}}/hello', timeout=30).read().decode())
            try:
                urllib.request.urlopen('http://127.0.0.1:1/', timeout=30)
            except urllib.error.HTTPError as e:
                print(e.code)
            """, TestTimeouts.Step);
        Assert.Equal($"{Server.Token} host=127.0.0.1:{Server.HttpPort}\n403\n", fetched.Stdout);

        ExecuteResult cut = await socket.ExecuteAsync($$"""
            import urllib.request
            try:
                urllib.request.urlopen('http://127.0.0.1:{{Server.HttpPort}}/bytes/{{8 * EgressGatewayFixture.MaxBytesDown}}', timeout=30).read()
            except Exception as e:
                print(type(e).__name__)
            """, TestTimeouts.Step);
        Assert.NotEqual("", cut.Stdout.Trim());
        await socket.WaitForAsync(f => f.MsgType == "stream" && (f.ContentText("text") ?? "").Contains("byte cap of the network policy 'loopback' is reached", StringComparison.Ordinal),
            TestTimeouts.Step, "the byte-cap notice");

        await GatewayRest.EventuallyAsync(async () =>
        {
            string[] lines = File.Exists(fixture.AuditPath) ? await File.ReadAllLinesAsync(fixture.AuditPath) : [];
            List<JsonElement> egress = lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())
                .Where(r => r.TryGetProperty("event", out JsonElement e) && e.GetString() == "egress" && r.GetProperty("kernel_id").GetString() == kernel).ToList();
            bool allowed = egress.Any(r => r.GetProperty("decision").GetString() == "allowed" && r.GetProperty("user").GetString() == "alice"
                && r.GetProperty("destination").GetString() == $"127.0.0.1:{Server.HttpPort}" && r.GetProperty("bytes_down").GetInt64() > 0);
            bool denied = egress.Any(r => r.GetProperty("decision").GetString() == "denied" && r.GetProperty("destination").GetString() == "127.0.0.1:1"
                && r.GetProperty("policy").GetString() == "loopback" && r.GetProperty("status").GetInt32() == 403);
            bool capped = egress.Any(r => (r.TryGetProperty("reason", out JsonElement reason) ? reason.GetString() ?? "" : "").Contains("byte cap", StringComparison.Ordinal));
            return (allowed && denied && capped, string.Join('\n', lines));
        }, TestTimeouts.Step, "egress records in the audit log");

        // The refusal and the cut are also egress_denied signals in the kernel's security timeline, with its owner.
        RestResponse events = await SendAsync("alice", HttpMethod.Get, $"api/kernels/{kernel}/events");
        GatewayRest.ExpectStatus(events, HttpStatusCode.OK, Gateway);
        JsonArray denials = new(((JsonArray)events.Json!).Where(e => e!["kind"]!.GetValue<string>() == "egress_denied").Select(e => e!.DeepClone()).ToArray());
        Assert.Contains(denials, e => e!["detail"]!.GetValue<string>().Contains("127.0.0.1:1 refused under policy `loopback`", StringComparison.Ordinal)
            && e["user"]!.GetValue<string>() == "alice");
        Assert.DoesNotContain((JsonArray)events.Json!, e => e!["kind"]!.GetValue<string>() == "network_socket"); // the proxy path is not a network attempt

        string metrics = (await GatewayRest.GetAsync(Gateway, "metrics")).Body;
        Assert.True(MetricsText.Value(metrics, "egress_connections_total", "decision=\"allowed\"", "policy=\"loopback\"") >= 2, metrics);
        Assert.True(MetricsText.Value(metrics, "egress_connections_total", "decision=\"denied\"", "policy=\"loopback\"") >= 1, metrics);
        Assert.True(MetricsText.Value(metrics, "egress_bytes_total", "direction=\"down\"") >= EgressGatewayFixture.MaxBytesDown, metrics);
        Assert.True(MetricsText.Value(metrics, "egress_bytes_total", "direction=\"up\"") > 0, metrics);
    }

    [Fact]
    public async Task UserWithoutThePolicy_CannotGetItByAsking()
    {
        // Environment variables (all on the allow list here), a body field and metadata: none of it is a policy.
        string asked = await StartAsync("bob", """
            {"name":"python3","network_policy":"loopback","metadata":{"notebookgateway":{"network_policy":"loopback"}},
             "env":{"NBGW_NETWORK_POLICY":"loopback","NBGW_EGRESS_ALLOW":"*","HTTP_PROXY":"http://127.0.0.1:3128","http_proxy":"http://127.0.0.1:3128"}}
            """);
        await AssertNoNetworkAsync("bob", asked);

        // A session whose kernel is changed (PATCH kernel.name) gets bob's policy again: none.
        RestResponse session = await SendAsync("bob", HttpMethod.Post, "api/sessions", """{"path":"egress.ipynb","type":"notebook","kernel":{"name":"python3"}}""");
        GatewayRest.ExpectStatus(session, HttpStatusCode.Created, Gateway);
        string sessionId = session.Json!["id"]!.GetValue<string>();
        try
        {
            RestResponse patched = await SendAsync("bob", HttpMethod.Patch, $"api/sessions/{sessionId}",
                """{"kernel":{"name":"python3","network_policy":"loopback","env":{"NBGW_NETWORK_POLICY":"loopback"}}}""");
            GatewayRest.ExpectStatus(patched, HttpStatusCode.OK, Gateway);
            await AssertNoNetworkAsync("bob", patched.Json!["kernel"]!["id"]!.GetValue<string>());
        }
        finally
        {
            await SendAsync("bob", HttpMethod.Delete, $"api/sessions/{sessionId}");
        }

        // Carol is in the group that has the policy, but her own entry says none, and it wins.
        await AssertNoNetworkAsync("carol", await StartAsync("carol", """{"name":"python3"}"""));
    }

    private async Task AssertNoNetworkAsync(string user, string kernel)
    {
        KernelSocket socket = await ConnectAsUserAsync(user, kernel);
        ExecuteResult probe = await socket.ExecuteAsync("""
            import json, os, socket
            s = socket.socket(); s.settimeout(5)
            try:
                s.connect(('127.0.0.1', 3128)); relay = 0
            except OSError as e:
                relay = e.errno
            print(json.dumps({'socket': os.path.exists('/kernel/egress.sock'), 'relay': relay,
                'env': sorted(k for k in os.environ if k.lower().endswith('_proxy') or k.startswith('NBGW_'))}))
            """, TestTimeouts.Step);
        JsonElement r = JsonDocument.Parse(probe.Stdout).RootElement;
        Assert.False(r.GetProperty("socket").GetBoolean(), probe.Stdout);
        Assert.Equal(111, r.GetProperty("relay").GetInt32());
        Assert.Empty(r.GetProperty("env").EnumerateArray());
    }

    private async Task<string> StartAsync(string user, string body)
    {
        RestResponse created = await SendAsync(user, HttpMethod.Post, "api/kernels", body);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string id = created.Json!["id"]!.GetValue<string>();
        _kernels.Add((user, id));
        return id;
    }

    private async Task<KernelSocket> ConnectAsUserAsync(string user, string kernel)
    {
        string session = Guid.NewGuid().ToString();
        KernelSocket socket = Track(await KernelSocket.ConnectAsync(Gateway.ChannelsUri(kernel, session, queryToken: null), session, EgressGatewayFixture.Tokens[user]));
        await socket.KernelInfoAsync();
        return socket;
    }

    private Task<RestResponse> SendAsync(string user, HttpMethod method, string relative, string? body = null) =>
        GatewayRest.SendAsync(Gateway.CreateHttpClient(EgressGatewayFixture.Tokens[user]), method, Gateway.Url(relative), body, timeout: TestTimeouts.KernelStart);
}
