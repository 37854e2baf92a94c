using NotebookGateway.Kernels.Lifecycle;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

/// <summary>A kernelspec asking for gVisor. Needs the runsc runtime registered with the engine: bash scripts/lib/gvisor.sh.</summary>
[Collection(SandboxCollection.Name)]
public sealed class GVisorTests(SandboxEnvironment env)
{
    [Fact]
    public async Task Start_RunscSpec_RunsTheKernelUnderGVisorWithTheSameHardening()
    {
        env.WriteSpec("py-gvisor", SandboxEnvironment.PythonArgv, runtime: "runsc");
        var manager = await env.CreateManagerAsync("gvisor");
        try
        {
            SandboxKernel kernel;
            try
            {
                kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = "py-gvisor" });
            }
            catch (KernelLaunchException ex) when (ex.Message.Contains("runtime", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("The engine has no runsc runtime. Register it: bash scripts/lib/gvisor.sh", ex);
            }

            var inspect = await env.Docker.Containers.InspectAsync(kernel.ContainerId!);
            // Podman's compatible inspect says "oci" whatever the runtime; the Sentry's own kernel release below proves gVisor there.
            Assert.Equal(TestEngine.IsPodman ? "oci" : "runsc", inspect.HostConfig!.Runtime);
            Assert.True(manager.LastSelfTest!.Passed, manager.LastSelfTest.ToString());

            var r = await SandboxEnvironment.RunJsonAsync(kernel, """
                import json, os, platform, socket
                s = socket.socket(); s.settimeout(5)
                try:
                    s.connect(('1.1.1.1', 53)); tcp = 0
                except OSError as e:
                    tcp = e.errno
                print(json.dumps({'release': platform.release(), 'uid': os.getuid(), 'tcp': tcp,
                    'ifaces': sorted(n for _, n in socket.if_nameindex())}))
                """);
            Assert.Equal(kernel.Session.Uid, r.GetProperty("uid").GetUInt32());
            Assert.NotEqual(0, r.GetProperty("tcp").GetInt32());
            Assert.Equal(["lo"], r.GetProperty("ifaces").EnumerateArray().Select(e => e.GetString()));
            // gVisor's Sentry reports its own kernel release, not the host's.
            Assert.NotEqual(Environment.OSVersion.Version.ToString(3), r.GetProperty("release").GetString());

            // SIGINT through the engine reaches the kernel (here the engine's init is its parent, no tini -g).
            var cell = await SleepingCell.StartAsync(kernel.Client);
            await manager.InterruptKernelAsync(kernel.Id);
            Assert.Equal("KeyboardInterrupt", (await cell.WaitAsync(TestTimeouts.Short)).Reply.GetContentString("ename"));

            await manager.RestartKernelAsync(kernel.Id);
            Assert.Equal("ok", await SandboxEnvironment.RunAsync(kernel, "print('ok')"));
        }
        finally
        {
            await manager.DisposeAsync();
        }

        await env.AssertNothingLeftAsync(manager.Owner);
    }
}
