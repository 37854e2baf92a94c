using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Lifecycle;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

[Collection(SandboxCollection.Name)]
public sealed class RestartAndWorkspaceTests(SandboxEnvironment env)
{
    private const string DaemonMarker = "424242";

    private static readonly string FindDaemon = $$"""
        import json, os
        found = []
        for pid in filter(str.isdigit, os.listdir('/proc')):
            try:
                cmd = open('/proc/%s/cmdline' % pid, 'rb').read().split(b'\0')
            except OSError:
                continue
            if b'{{DaemonMarker}}' in cmd:
                found.append(int(pid))
        print(json.dumps(found))
        """;

    [Fact]
    public async Task Restart_NewContainerKeyAndSocketDirectory_SameIdAndWorkspace_DaemonsGone()
    {
        const string Session = "restart-session";
        var kernel = await env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py, SessionId = Session });
        try
        {
            await SandboxEnvironment.RunAsync(kernel, "open('/home/sandbox/work/keep.txt', 'w').write('survives restarts')");
            await SandboxEnvironment.RunAsync(kernel, $"import subprocess\nsubprocess.run(['setsid', '-f', 'sleep', '{DaemonMarker}'], check=True)");
            Assert.NotEmpty((await SandboxEnvironment.RunJsonAsync(kernel, FindDaemon)).EnumerateArray());
            var before = (Container: kernel.ContainerId!, kernel.Connection.Key, SocketDir: kernel.Run!.Sockets.HostPath, kernel.Session.Uid, Workspace: kernel.Session.WorkspaceHostPath);
            var restarting = KernelEvents.WaitForAsync(env.Shared, kernel.Id, SandboxKernelState.Restarting);
            var running = KernelEvents.WaitForAsync(env.Shared, kernel.Id, SandboxKernelState.Running);

            var restarted = await env.Shared.RestartKernelAsync(kernel.Id);

            Assert.Same(kernel, restarted);
            await restarting.WaitAsync(TestTimeouts.Short);
            Assert.Equal("restarted", (await running.WaitAsync(TestTimeouts.Short)).Reason);
            Assert.Equal(2, kernel.Generation);
            Assert.NotEqual(before.Container, kernel.ContainerId);
            Assert.NotEqual(before.Key, kernel.Connection.Key);
            Assert.NotEqual(before.SocketDir, kernel.Run!.Sockets.HostPath);
            Assert.False(Directory.Exists(before.SocketDir));
            Assert.Null(await env.Docker.Containers.TryInspectAsync(before.Container));
            Assert.Equal(before.Uid, kernel.Session.Uid);
            Assert.Equal(before.Workspace, kernel.Session.WorkspaceHostPath);
            Assert.Equal("survives restarts", await SandboxEnvironment.RunAsync(kernel, "print(open('/home/sandbox/work/keep.txt').read())"));
            Assert.Empty((await SandboxEnvironment.RunJsonAsync(kernel, FindDaemon)).EnumerateArray());

            // A change of kernel in the same session: same workspace.
            await env.Shared.ShutdownKernelAsync(kernel.Id);
            var next = await env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = "py-message", SessionId = Session });
            Assert.NotEqual(kernel.Id, next.Id);
            Assert.Equal(before.Workspace, next.Session.WorkspaceHostPath);
            Assert.Equal("survives restarts", await SandboxEnvironment.RunAsync(next, "print(open('/home/sandbox/work/keep.txt').read())"));
        }
        finally
        {
            await env.Shared.EndSessionAsync(Session);
        }

        Assert.DoesNotContain(env.Shared.Sessions, s => s.Id == Session);
        Assert.False(Directory.Exists(kernel.Session.WorkspaceHostPath));
        Assert.DoesNotContain(env.Shared.ListKernels(), k => k.Session.Id == Session);
    }

    [Fact]
    public async Task Interrupt_MessageMode_SendsInterruptRequest()
    {
        var kernel = await env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = "py-message" });
        try
        {
            Assert.Equal(InterruptMode.Message, kernel.Spec.InterruptMode);
            var cell = await SleepingCell.StartAsync(kernel.Client);

            await env.Shared.InterruptKernelAsync(kernel.Id);

            var outcome = await cell.WaitAsync(TestTimeouts.Short);
            Assert.Equal("KeyboardInterrupt", outcome.Reply.GetContentString("ename"));
        }
        finally
        {
            await env.Shared.ShutdownKernelAsync(kernel.Id);
        }
    }
}
