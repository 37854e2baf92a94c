using NotebookGateway.Kernels.Lifecycle;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

[Collection(SandboxCollection.Name)]
public sealed class KernelStartTests(SandboxEnvironment env)
{
    [Fact]
    public async Task StartKernel_PythonSpec_ExecutesCodeInTheSandbox()
    {
        var output = await SandboxEnvironment.RunAsync(env.SharedKernel, "print(6 * 7)");

        Assert.Equal("42", output);
        Assert.Equal(SandboxKernelState.Running, env.SharedKernel.State);
        Assert.True(env.Shared.LastSelfTest?.Passed, env.Shared.LastSelfTest?.ToString());
        // The limits were read inside the sandbox (the Python probe), not only from the engine's inspect.
        Assert.Equal((SandboxEnvironment.PyMemoryMiB * 1048576L).ToString(System.Globalization.CultureInfo.InvariantCulture), env.Shared.LastSelfTest!.Observed["MemoryLimit"]);
        Assert.Equal(SandboxEnvironment.PyPids.ToString(System.Globalization.CultureInfo.InvariantCulture), env.Shared.LastSelfTest.Observed["PidsLimit"]);
    }

    [Fact]
    public async Task ShutdownKernel_RunningKernel_RemovesContainerAndSocketDirectory()
    {
        var kernel = await env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        var containerId = kernel.ContainerId!;
        var socketDir = kernel.Run!.Sockets.HostPath;
        var workspace = kernel.Session.WorkspaceHostPath;
        Assert.Equal("ok", await SandboxEnvironment.RunAsync(kernel, "print('ok')"));

        await env.Shared.ShutdownKernelAsync(kernel.Id);

        Assert.Equal(SandboxKernelState.Stopped, kernel.State);
        Assert.Null(await env.Docker.Containers.TryInspectAsync(containerId));
        Assert.False(Directory.Exists(socketDir));
        Assert.False(Directory.Exists(workspace), "a kernel without a session takes its workspace with it");
        Assert.False(env.Shared.TryGetKernel(kernel.Id, out _));
    }
}
