using System.Diagnostics;
using System.Text.Json;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Kernel;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Testing;
using NotebookGateway.Zmq;

namespace NotebookGateway.Jupyter.Tests.Kernel;

[Collection(NotebookGateway.Jupyter.Tests.Client.RealKernelCollection.Name)]
public sealed class KernelServerTests : IAsyncLifetime
{
    private readonly ZmqContext _context = new();
    private readonly TempDirectory _temp = new("kserver");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        _temp.Dispose();
    }

    [Theory]
    [InlineData("ipc")]
    [InlineData("tcp")]
    public async Task JupyterClient_AgainstOurKernel_KernelInfoExecuteErrorInputIsCompleteShutdown(string transport)
    {
        LocalIpyKernel.RequirePython("jupyter_client", "python3-jupyter-client");
        ConnectionInfo connection = transport == "ipc" ? ConnectionInfo.CreateIpc(_temp.Combine("k"), "echo") : ConnectionInfo.CreateTcp();
        string file = _temp.Combine("connection.json");
        await connection.SaveAsync(file);
        await using KernelServer server = await KernelServer.StartAsync(connection, _context.Reactor, new EchoKernel());

        JsonElement seen = await RunProbeAsync(file);

        Assert.Equal("echo", seen.GetProperty("kernel_info").GetProperty("implementation").GetString());
        Assert.Equal("5.3", seen.GetProperty("kernel_info").GetProperty("protocol_version").GetString());
        JsonElement execute = seen.GetProperty("execute");
        Assert.Equal("ok", execute.GetProperty("reply").GetProperty("status").GetString());
        string[] kinds = execute.GetProperty("outputs").EnumerateArray().Select(o => o[0].GetString()!).ToArray();
        Assert.Equal(["status", "execute_input", "stream", "execute_result", "status"], kinds);
        Assert.Equal("HELLO", execute.GetProperty("outputs")[3][1].GetProperty("data").GetProperty("text/plain").GetString());
        JsonElement error = seen.GetProperty("error");
        Assert.Equal("error", error.GetProperty("reply").GetProperty("status").GetString());
        Assert.Equal("EchoError", error.GetProperty("reply").GetProperty("ename").GetString());
        Assert.Contains(error.GetProperty("outputs").EnumerateArray(), o => o[0].GetString() == "error");
        Assert.Equal(["say? ", "you said bob\n"], seen.GetProperty("input").GetProperty("seen").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("incomplete", seen.GetProperty("incomplete").GetProperty("status").GetString());
        Assert.Equal("complete", seen.GetProperty("complete").GetProperty("status").GetString());
        Assert.Equal("ok", seen.GetProperty("shutdown").GetProperty("status").GetString());
        await server.Completion.WaitAsync(TestTimeouts.Short);
        Assert.Equal(0, server.RejectedMessages);
    }

    [Fact]
    public async Task OurClient_AgainstOurKernel_InterruptByMessageCancelsRunningCell()
    {
        ConnectionInfo connection = ConnectionInfo.CreateIpc(_temp.Combine("i"), "echo");
        await using KernelServer server = await KernelServer.StartAsync(connection, _context.Reactor, new EchoKernel());
        await using KernelClient client = await KernelClient.ConnectAsync(connection, _context.Reactor, new KernelClientOptions { InterruptMode = InterruptMode.Message });
        await client.WaitForReadyAsync(TestTimeouts.Short);

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ExecutionOutcome> running = client.ExecuteAsync("sleep", new ExecuteOptions { OnOutput = m => { if (m.MsgType == MessageTypes.ExecuteInput) { started.TrySetResult(); } } });
        await started.Task.WaitAsync(TestTimeouts.Short);
        await client.InterruptAsync();
        ExecutionOutcome outcome = await running.WaitAsync(TestTimeouts.Short);

        Assert.Equal("KeyboardInterrupt", outcome.Reply.GetContentString("ename"));
        Assert.True(client.IsAlive);
    }

    [Fact]
    public async Task Kernel_RequestWithForgedSignature_IsDroppedAndCounted()
    {
        ConnectionInfo connection = ConnectionInfo.CreateIpc(_temp.Combine("f"), "echo");
        await using KernelServer server = await KernelServer.StartAsync(connection, _context.Reactor, new EchoKernel());
        ConnectionInfo forged = connection with { Key = NotebookGateway.Jupyter.Wire.MessageSigner.NewKey() };
        await using KernelClient attacker = await KernelClient.ConnectAsync(forged, _context.Reactor, new KernelClientOptions { EnableHeartbeat = false });
        await using KernelClient genuine = await KernelClient.ConnectAsync(connection, _context.Reactor, new KernelClientOptions { EnableHeartbeat = false });

        await attacker.SendAsync(attacker.CreateMessage(new NotebookGateway.Jupyter.Messages.Shell.ExecuteRequest { Code = "forged" }), MessageChannel.Shell);
        JupyterMessage info = await genuine.WaitForReadyAsync(TestTimeouts.Short);

        Assert.Equal("kernel_info_reply", info.MsgType);
        await WaitUntilAsync(() => server.RejectedMessages >= 1);
        Assert.Equal(1, server.RejectedMessages);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Short);
        while (!condition())
        {
            await Task.Yield();
            await Task.Delay(10, timeout.Token);
        }
    }

    private static async Task<JsonElement> RunProbeAsync(string connectionFile)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Kernel", "jupyter_client_probe.py");
        using var probe = Process.Start(new ProcessStartInfo(LocalIpyKernel.Python, [script, connectionFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        Task<string> stdout = probe.StandardOutput.ReadToEndAsync();
        Task<string> stderr = probe.StandardError.ReadToEndAsync();
        await probe.WaitForExitAsync().WaitAsync(TestTimeouts.Long);
        Assert.True(probe.ExitCode == 0, "jupyter_client probe failed:\n" + await stderr);
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }
}
