using System.Net;
using System.Text.Json.Nodes;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Server.Tests.Kernels;

/// <summary>
/// The real gateway killed (SIGKILL) or stopped in keep mode, then started again on the same owner and state: the same
/// kernel id answers with its variables, a websocket client reconnects and sees the running cell's later output, the
/// session and its workspace files are still there, the quota still counts the kernel and culling still culls it.
/// </summary>
public sealed class ReadoptionTests
{
    private const string TickCell = "import time\nfor i in range(12):\n    print('tick', i, flush=True)\n    time.sleep(1)";

    [Fact]
    public async Task SigKill_SameKernelAndSession_ClientReconnectsAndSeesLaterOutput_QuotaAndCullingStillApply()
    {
        var settings = new Dictionary<string, string>
        {
            ["Quotas:Default:MaxKernels"] = "1",
            ["Culling:IdleTimeoutSeconds"] = "8",
            ["Culling:IntervalSeconds"] = "1",
        };
        GatewayProcess gateway = await GatewayProcess.StartAsync(settings);
        try
        {
            RestResponse created = await GatewayRest.PostAsync(gateway, "api/sessions",
                """{"path": "work/restart.ipynb", "type": "notebook", "name": "restart.ipynb", "kernel": {"name": "python3"}}""", TestTimeouts.KernelStart);
            GatewayRest.ExpectStatus(created, HttpStatusCode.Created, gateway);
            string sessionId = created.Json!["id"]!.GetValue<string>();
            string kernelId = created.Json!["kernel"]!["id"]!.GetValue<string>();
            string clientSession = Guid.NewGuid().ToString();
            KernelSocket before = await ConnectAsync(gateway, kernelId, clientSession);
            Assert.Equal("ok", (await before.ExecuteAsync("x = 42\nopen('kept.txt', 'w').write('in the workspace')")).Status);
            await before.SendAsync(JupyterMessages.ExecuteRequest(clientSession, TickCell));
            await before.WaitForAsync(f => Tick(f) >= 1, TestTimeouts.Step, "the cell's first ticks");

            gateway = await gateway.RestartAsync(graceful: false);
            await before.DisposeAsync();

            // The client reconnects (as JupyterLab does, with its own session id) and the cell's later output reaches it.
            KernelSocket after = await ConnectAsync(gateway, kernelId, clientSession);
            int lastBefore = before.Frames.Select(Tick).Max();
            await after.WaitForAsync(f => Tick(f) > lastBefore, TimeSpan.FromSeconds(30), $"a tick after {lastBefore}");
            ExecuteResult check = await after.ExecuteAsync("print(x, open('kept.txt').read())", TimeSpan.FromSeconds(60));
            Assert.Equal("42 in the workspace", check.Stdout.Trim());

            RestResponse kernel = await GatewayRest.GetAsync(gateway, $"api/kernels/{kernelId}");
            GatewayRest.ExpectStatus(kernel, HttpStatusCode.OK, gateway);
            RestResponse session = await GatewayRest.GetAsync(gateway, $"api/sessions/{sessionId}");
            GatewayRest.ExpectStatus(session, HttpStatusCode.OK, gateway);
            Assert.Equal(kernelId, session.Json!["kernel"]!["id"]!.GetValue<string>());
            Assert.Contains("1 running kernel", gateway.Output, StringComparison.Ordinal);

            // The quota still counts it: a second kernel is refused.
            GatewayRest.ExpectJsonError(await GatewayRest.PostAsync(gateway, "api/kernels", """{"name": "python3"}"""), HttpStatusCode.Forbidden);

            // Culling still culls it once idle and unconnected.
            await after.DisposeAsync();
            await GatewayRest.EventuallyAsync(async () =>
            {
                HttpStatusCode status = (await GatewayRest.GetAsync(gateway, $"api/kernels/{kernelId}")).Status;
                return (status == HttpStatusCode.NotFound, status.ToString());
            }, TimeSpan.FromSeconds(40), "the re-adopted kernel culled when idle");
        }
        finally
        {
            GatewayExit exit = await gateway.StopAsync();
            Assert.True(exit.LeftoverContainers.Count == 0, "containers left behind:\n" + gateway.Output);
        }
    }

    [Fact]
    public async Task LeasedKernel_TakenBackAfterAKill_IsHeldToItsLeaseAgain()
    {
        GatewayProcess gateway = await GatewayProcess.StartAsync();
        try
        {
            RestResponse started = await GatewayRest.PostAsync(gateway, "api/kernels",
                """{"name":"python3","env":{"KERNEL_LEASE_SECONDS":"5"}}""", TestTimeouts.KernelStart);
            GatewayRest.ExpectStatus(started, HttpStatusCode.Created, gateway);
            string kernelId = started.Json!["id"]!.GetValue<string>();
            string clientSession = Guid.NewGuid().ToString();
            KernelSocket holder = await ConnectAsync(gateway, kernelId, clientSession);

            gateway = await gateway.RestartAsync(graceful: false);
            await holder.DisposeAsync();

            // Taken back, then, with no client reconnecting, shut down by its lease (the idle culler would wait an hour).
            GatewayRest.ExpectStatus(await GatewayRest.GetAsync(gateway, $"api/kernels/{kernelId}"), HttpStatusCode.OK, gateway);
            await GatewayRest.EventuallyAsync(async () =>
            {
                HttpStatusCode status = (await GatewayRest.GetAsync(gateway, $"api/kernels/{kernelId}")).Status;
                return (status == HttpStatusCode.NotFound, status.ToString());
            }, TimeSpan.FromSeconds(30), "the re-adopted leased kernel shut down by its lease");
            Assert.Contains("lease of 5 s lapsed without a client", gateway.Output, StringComparison.Ordinal);
        }
        finally
        {
            GatewayExit exit = await gateway.StopAsync();
            Assert.True(exit.LeftoverContainers.Count == 0, "containers left behind:\n" + gateway.Output);
        }
    }

    [Fact]
    public async Task GracefulStopInKeepMode_KernelKeepsItsState_RemoveModeThenRemovesIt()
    {
        GatewayProcess gateway = await GatewayProcess.StartAsync(new Dictionary<string, string> { ["Sandbox:OnStop"] = "KeepKernels" });
        try
        {
            string kernelId = await GatewayRest.StartKernelAsync(gateway);
            string clientSession = Guid.NewGuid().ToString();
            KernelSocket before = await ConnectAsync(gateway, kernelId, clientSession);
            Assert.Equal("ok", (await before.ExecuteAsync("y = 'survived an upgrade'")).Status);

            gateway = await gateway.RestartAsync(graceful: true, new Dictionary<string, string> { ["Sandbox:OnStop"] = "RemoveKernels" });
            Assert.True(await before.WaitForCloseAsync(TestTimeouts.Step), "the old process's websocket stayed open");

            KernelSocket after = await ConnectAsync(gateway, kernelId, clientSession);
            Assert.Equal("survived an upgrade", (await after.ExecuteAsync("print(y)")).Stdout.Trim());
            JsonArray listed = JsonNode.Parse((await GatewayRest.GetAsync(gateway, "api/kernels")).Body)!.AsArray();
            Assert.Equal(kernelId, (string?)Assert.Single(listed)!["id"]);
            await after.DisposeAsync();
        }
        finally
        {
            GatewayExit exit = await gateway.StopAsync();
            Assert.True(exit.LeftoverContainers.Count == 0, "containers left behind:\n" + gateway.Output);
        }
    }

    private static async Task<KernelSocket> ConnectAsync(GatewayProcess gateway, string kernelId, string clientSession)
    {
        KernelSocket socket = await KernelSocket.ConnectAsync(gateway.ChannelsUri(kernelId, clientSession, queryToken: null), clientSession, gateway.Token);
        await socket.KernelInfoAsync();
        return socket;
    }

    /// <summary>The number of a tick line in a stdout frame, or -1.</summary>
    private static int Tick(ReceivedFrame frame) =>
        frame.MsgType == "stream" && frame.ContentText("text") is { } text && text.StartsWith("tick ", StringComparison.Ordinal)
            ? text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => int.TryParse(l.AsSpan(5), out int n) ? n : -1).Max()
            : -1;
}
