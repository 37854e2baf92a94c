using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using NotebookGateway.Bridge.Gateway;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Bridge.Tests.Support;
using NotebookGateway.Testing;
using Xunit.Abstractions;

namespace NotebookGateway.Bridge.Tests.Kernel;

/// <summary>
/// Notebook 6.4 (Debian's jupyter-notebook) started without <c>--gateway-url</c>: its kernel list has the bridged
/// kernelspec beside its local python3, and a notebook session on the bridged one runs a cell in the sandbox (the
/// notebook server's own websocket, as its web page uses it); deleting the session deletes the gateway kernel.
/// </summary>
[Collection(BridgeCollection.Name)]
public sealed class NotebookServerTests(BridgeFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Notebook64_ListsTheBridgedKernel_AndRunsANotebookOnIt()
    {
        string notebook = Tools.RequireCommand("jupyter-notebook", "jupyter-notebook");
        string token = Guid.NewGuid().ToString("N");
        int port = LoopbackPorts.Free();
        string directory = Path.Combine(fixture.Environment.Root, "notebooks");
        Directory.CreateDirectory(directory);
        await using BackgroundProcess server = BackgroundProcess.Start(notebook,
            ["--no-browser", "--allow-root", $"--port={port}", "--ip=127.0.0.1", $"--NotebookApp.token={token}", $"--notebook-dir={directory}"],
            fixture.Environment, directory);
        try
        {
            await server.WaitForOutputAsync($"127.0.0.1:{port}/", Timeouts.Step);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = Timeouts.KernelStart };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", token);

            var specs = JsonNode.Parse(await http.GetStringAsync("api/kernelspecs"))!["kernelspecs"]!.AsObject();
            Assert.True(specs.ContainsKey("python3"), "Notebook's local python3 is missing: " + specs.ToJsonString());
            Assert.True(specs.ContainsKey(BridgeEnvironment.Python3), "the bridged kernelspec is not listed: " + specs.ToJsonString());
            Assert.Equal("Python 3 (sandboxed)", specs[BridgeEnvironment.Python3]!["spec"]!["display_name"]!.GetValue<string>());

            IReadOnlyList<string> before = await fixture.GatewayKernelsAsync();
            using HttpResponseMessage created = await http.PostAsync("api/sessions", new StringContent(
                $$$"""{"path":"bridged.ipynb","name":"bridged.ipynb","type":"notebook","kernel":{"name":"{{{BridgeEnvironment.Python3}}}"}}""", Encoding.UTF8, "application/json"));
            string body = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"POST /api/sessions: {(int)created.StatusCode} {body}\n{server.Output}");
            var session = JsonNode.Parse(body)!;
            string kernelId = session["kernel"]!["id"]!.GetValue<string>();

            string stdout = await RunCellAsync(port, token, kernelId, "import os\nprint('sandboxed in', os.getcwd())");
            Assert.Equal("sandboxed in /home/sandbox/work\n", stdout);
            Assert.Single((await fixture.GatewayKernelsAsync()).Except(before));

            using HttpResponseMessage deleted = await http.DeleteAsync($"api/sessions/{session["id"]!.GetValue<string>()}");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            await fixture.WaitForKernelsAsync(k => !k.Except(before).Any(), Timeouts.Step, "the gateway kernel deleted with the notebook's session");
        }
        finally
        {
            output.WriteLine(server.Output);
        }
    }

    /// <summary>One execute_request over Notebook's own channels websocket; returns the cell's stdout.</summary>
    private static async Task<string> RunCellAsync(int port, string token, string kernelId, string code)
    {
        var url = new Uri($"ws://127.0.0.1:{port}/api/kernels/{kernelId}/channels?session_id={Guid.NewGuid():N}");
        await using GatewaySocket socket = await GatewaySocket.ConnectAsync(url, token, 1 << 24, Timeouts.Short, TimeSpan.FromSeconds(30), CancellationToken.None);
        JupyterMessage request = JupyterMessage.Create(MessageTypes.ExecuteRequest,
            Encoding.UTF8.GetBytes(new JsonObject { ["code"] = code, ["silent"] = false, ["store_history"] = true, ["user_expressions"] = new JsonObject(), ["allow_stdin"] = false, ["stop_on_error"] = true }.ToJsonString()),
            Guid.NewGuid().ToString("N"), "test");
        await socket.SendAsync(request, MessageChannel.Shell, CancellationToken.None);
        var stdout = new StringBuilder();
        bool replied = false, idle = false;
        using var deadline = new CancellationTokenSource(Timeouts.Step);
        while (!(replied && idle))
        {
            ReceivedMessage? received = await socket.ReceiveAsync(deadline.Token);
            Assert.True(received is not null, "Notebook closed the websocket");
            if (received.Value.Message is not { } message || message.ParentMsgId != request.MsgId)
            {
                continue;
            }
            if (message.MsgType == MessageTypes.Stream)
            {
                stdout.Append(message.GetContentString("text"));
            }
            replied |= message.MsgType == MessageTypes.ExecuteReply;
            idle |= message.MsgType == MessageTypes.Status && message.GetContentString("execution_state") == "idle";
        }
        await socket.CloseAsync(TimeSpan.FromSeconds(2));
        return stdout.ToString();
    }
}
