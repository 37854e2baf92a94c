using System.Diagnostics;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Testing;
using NotebookGateway.Zmq;

namespace NotebookGateway.Jupyter.Tests.Client;

/// <summary>Tests that end their kernel; each starts its own.</summary>
[Collection(RealKernelCollection.Name)]
public sealed class KernelClientLifecycleTests : IAsyncLifetime
{
    private readonly ZmqContext _context = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Theory]
    [InlineData("ipc")]
    [InlineData("tcp")]
    public async Task Shutdown_RealKernel_RepliesAndProcessExits(string transport)
    {
        var (kernel, client) = await IpyKernelFixture.StartAsync(_context, transport);
        await using (kernel)
        await using (client)
        {
            JupyterMessage reply = await client.ShutdownAsync(restart: false, new CancellationTokenSource(TestTimeouts.Long).Token);

            Assert.Equal(MessageTypes.ShutdownReply, reply.MsgType);
            Assert.Equal("ok", reply.GetContentString("status"));
            await kernel.WaitForExitAsync(TestTimeouts.Long);
            Assert.True(kernel.HasExited);
        }
    }

    [Theory]
    [InlineData("ipc")]
    [InlineData("tcp")]
    public async Task Heartbeat_KernelKilledWithSigkill_ReportedDead(string transport)
    {
        var (kernel, client) = await IpyKernelFixture.StartAsync(_context, transport, heartbeatTimeout: TimeSpan.FromSeconds(2));
        await using (kernel)
        await using (client)
        {
            Task<ExecutionOutcome> pending = client.ExecuteAsync("import time; time.sleep(30)");
            var clock = Stopwatch.StartNew();
            kernel.KillHard();

            string reason = await client.Dead.WaitAsync(TestTimeouts.Short);

            Assert.Contains("heartbeat", reason, StringComparison.Ordinal);
            Assert.False(client.IsAlive);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
            await Assert.ThrowsAsync<KernelDiedException>(() => pending.WaitAsync(TestTimeouts.Short));
            await Assert.ThrowsAsync<KernelDiedException>(() => client.KernelInfoAsync());
        }
    }

    [Fact]
    public async Task Heartbeat_KernelStopped_ReportedDeadAsHung()
    {
        var (kernel, client) = await IpyKernelFixture.StartAsync(_context, "ipc", heartbeatTimeout: TimeSpan.FromSeconds(2));
        await using (kernel)
        await using (client)
        {
            // SIGSTOP freezes every thread, the heartbeat thread included: a hung kernel.
            await kernel.SignalAsync(19, CancellationToken.None);

            string reason = await client.Dead.WaitAsync(TestTimeouts.Short);

            Assert.Contains("no heartbeat", reason, StringComparison.Ordinal);
            Assert.False(kernel.HasExited);
            await kernel.SignalAsync(18, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Interrupt_MessageMode_InterruptRequestOnControl()
    {
        var (kernel, client) = await IpyKernelFixture.StartAsync(_context, "ipc", InterruptMode.Message);
        await using (kernel)
        await using (client)
        {
            Task<ExecutionOutcome> running = await SleepingCell.StartAsync(client);

            await client.InterruptAsync(new CancellationTokenSource(TestTimeouts.Short).Token);
            ExecutionOutcome outcome = await running.WaitAsync(SleepingCell.InterruptedWithin);

            Assert.Equal("KeyboardInterrupt", outcome.Reply.GetContentString("ename"));
        }
    }

    [Fact]
    public async Task Connect_WrongKey_KernelIgnoresRequests()
    {
        await using LocalIpyKernel kernel = await LocalIpyKernel.StartAsync("ipc");
        var forged = kernel.Connection with { Key = NotebookGateway.Jupyter.Wire.MessageSigner.NewKey() };
        await using KernelClient client = await KernelClient.ConnectAsync(forged, _context.Reactor, new KernelClientOptions { EnableHeartbeat = false });

        // ipykernel drops messages signed with the wrong key ("Invalid Signature"): no reply ever comes.
        await Assert.ThrowsAsync<TimeoutException>(() => client.WaitForReadyAsync(TimeSpan.FromSeconds(3)));
        Assert.False(kernel.HasExited);
    }
}
