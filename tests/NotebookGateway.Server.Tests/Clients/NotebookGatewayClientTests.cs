using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Clients;

/// <summary>
/// Debian's Jupyter servers as gateway clients (<c>--gateway-url</c>): a kernel started through the Jupyter server's own
/// REST API runs on our gateway, and its websocket, proxied by the Jupyter server, executes code.
/// </summary>
[Collection(ListingGatewayCollection.Name)]
public sealed class NotebookGatewayClientTests(ListingGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const string Python = "/usr/bin/python3";
    private const string SetupHint = "run bash scripts/setup.sh (Debian packages jupyter-notebook and python3-jupyter-server)";

    [Fact]
    public async Task Notebook_6_4_with_gateway_url_runs_kernels_on_the_gateway()
    {
        await RunThroughAsync(
            "notebook",
            token => [$"--NotebookApp.token={token}", "--NotebookApp.open_browser=False"],
            offerV1: false);
    }

    /// <summary>
    /// JupyterLab 4 offers the v1 subprotocol. jupyter_server 1.23's gateway-mode websocket handler
    /// (<c>jupyter_server/gateway/handlers.py</c>, <c>WebSocketChannelsHandler</c>) does not override tornado's
    /// <c>select_subprotocol</c>, so it selects none and the client speaks JSON; its own connection to our gateway is
    /// JSON too. The v1 protocol against the gateway itself is covered by ChannelsTests.
    /// </summary>
    [Fact]
    public async Task Jupyter_server_1_23_with_gateway_url_runs_kernels_on_the_gateway()
    {
        await RunThroughAsync(
            "jupyter_server",
            token => [$"--ServerApp.token={token}", "--ServerApp.open_browser=False"],
            offerV1: true);
    }

    private async Task RunThroughAsync(string module, Func<string, string[]> tokenArguments, bool offerV1)
    {
        using var directory = new TempDirectory("nbgw-client");
        int port = LoopbackPorts.Free();
        string token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        string gatewayUrl = Gateway.BaseUri.ToString().TrimEnd('/');
        string[] arguments =
        [
            "-m", module,
            "--no-browser", "--allow-root", "--ip=127.0.0.1", $"--port={port}", "--port-retries=0",
            $"--notebook-dir={directory.Path}",
            $"--gateway-url={gatewayUrl}",
            $"--GatewayClient.auth_token={Gateway.Token}",
            // A first kernel start runs the sandbox self-test.
            $"--GatewayClient.request_timeout={TestTimeouts.KernelStart.TotalSeconds:0}",
            $"--GatewayClient.connect_timeout={TestTimeouts.KernelStart.TotalSeconds:0}",
            .. tokenArguments(token),
        ];
        var environment = new Dictionary<string, string>
        {
            // Keep the user's Jupyter configuration and runtime files out of the test.
            ["JUPYTER_CONFIG_DIR"] = directory.Combine("config"),
            ["JUPYTER_DATA_DIR"] = directory.Combine("data"),
            ["JUPYTER_RUNTIME_DIR"] = directory.Combine("runtime"),
            ["JUPYTER_PLATFORM_DIRS"] = "1",
            ["PYTHONNOUSERSITE"] = "1",
        };
        Assert.True(File.Exists(Python), $"{Python} is missing: {SetupHint}");

        await using ExternalProcess server = ExternalProcess.Start(Python, arguments, directory.Path, environment, SetupHint);
        try
        {
            await server.WaitForLineAsync(line => line.Contains($"http://127.0.0.1:{port}/", StringComparison.Ordinal), TestTimeouts.Step, $"{module} listening");
            await ExerciseAsync(port, token, offerV1);
        }
        finally
        {
            Output.WriteLine($"--- {module} output ---\n{server.Output}");
        }
    }

    private async Task ExerciseAsync(int port, string token, bool offerV1)
    {
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        using HttpClient client = Gateway.CreateHttpClient(token: null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);

        // Start a kernel through the Jupyter server; it asks our gateway for it.
        RestResponse started = await GatewayRest.SendAsync(client, HttpMethod.Post, new Uri(baseUri, "api/kernels"), """{"name":"python3"}""",
            timeout: TestTimeouts.KernelStart + TestTimeouts.Reply);
        GatewayRest.ExpectStatus(started, HttpStatusCode.Created, Gateway);
        string kernelId = started.Json!["id"]!.GetValue<string>();
        DeleteAfterTest(kernelId);
        RestResponse onGateway = await GatewayRest.GetAsync(Gateway, $"api/kernels/{kernelId}");
        GatewayRest.ExpectStatus(onGateway, HttpStatusCode.OK, Gateway);

        // The Jupyter server's websocket, proxied to the gateway's.
        string session = Guid.NewGuid().ToString();
        var channels = new UriBuilder(new Uri(baseUri, $"api/kernels/{kernelId}/channels")) { Scheme = "ws", Query = "session_id=" + session }.Uri;
        KernelSocket socket = Track(await KernelSocket.ConnectAsync(channels, session, token, offerV1 ? [WireFormats.V1Protocol] : null));
        Output.WriteLine($"selected subprotocol: {socket.SubProtocol ?? "(none)"}");
        Assert.Null(socket.SubProtocol);

        // jupyter_server 1.23 opens its upstream connection in a callback scheduled after the handshake and drops
        // what the client sends before that (GatewayWebSocketClient.on_open/on_message), so ask until answered.
        ReceivedFrame info = await socket.KernelInfoResendingAsync(TestTimeouts.KernelStart, TimeSpan.FromSeconds(3));
        Assert.Equal("ok", info.ContentText("status"));
        ExecuteResult result = await socket.ExecuteAsync("print(6*7)");
        Assert.Equal("ok", result.Status);
        Assert.Equal("42\n", result.Stdout);

        // Shut it down through the Jupyter server: the gateway's kernel goes away too.
        RestResponse deleted = await GatewayRest.SendAsync(client, HttpMethod.Delete, new Uri(baseUri, $"api/kernels/{kernelId}"));
        GatewayRest.ExpectStatus(deleted, HttpStatusCode.NoContent, Gateway);
        await GatewayRest.EventuallyAsync(async () =>
        {
            RestResponse model = await GatewayRest.GetAsync(Gateway, $"api/kernels/{kernelId}");
            return (model.Status == HttpStatusCode.NotFound, model.ToString());
        }, TestTimeouts.Reply, "kernel gone from the gateway after DELETE through the Jupyter server");
    }
}
