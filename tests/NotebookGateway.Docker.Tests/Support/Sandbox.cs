using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;

namespace NotebookGateway.Docker.Tests.Support;

/// <summary>Container requests shaped like the gateway's kernel sandboxes.</summary>
internal static class Sandbox
{
    public const long MiB = 1024 * 1024;

    public static HostConfig HardenedHostConfig(long memoryBytes = 64 * MiB, IReadOnlyList<string>? securityOpt = null) => new()
    {
        NetworkMode = "none",
        ReadonlyRootfs = true,
        CapDrop = ["ALL"],
        SecurityOpt = securityOpt ?? ["no-new-privileges"],
        PidsLimit = 64,
        Memory = memoryBytes,
        MemorySwap = memoryBytes,
        NanoCpus = 500_000_000,
        // nproc as the gateway sets it: given any rlimit, Podman adds its own nproc and nofile, above what this host allows.
        Ulimits = [new Ulimit { Name = "nofile", Soft = 256, Hard = 256 }, new Ulimit { Name = "core", Soft = 0, Hard = 0 }, new Ulimit { Name = "nproc", Soft = 1024, Hard = 1024 }],
        Tmpfs = new Dictionary<string, string> { ["/tmp"] = "size=16m,mode=1777,noexec,nosuid,nodev" },
        ShmSize = 8 * MiB,
        Init = true,
        IpcMode = "private",
        Privileged = false,
    };

    public static ContainerCreateRequest Hardened(EngineTestScope scope, string script, HostConfig? hostConfig = null) => new()
    {
        Image = BusyboxImage.Reference,
        Cmd = ["/bin/sh", "-c", script],
        User = "65534:65534",
        WorkingDir = "/tmp",
        Env = ["HOME=/tmp", "PATH=/bin"],
        Labels = scope.Labels,
        StopSignal = "SIGTERM",
        StopTimeout = 5,
        NetworkDisabled = true,
        HostConfig = hostConfig ?? HardenedHostConfig(),
    };

    /// <summary>Creates, starts and waits for a container; returns its id and exit code.</summary>
    public static async Task<(string Id, long ExitCode)> RunToExitAsync(EngineTestScope scope, ContainerCreateRequest request, string name, CancellationToken cancellationToken)
    {
        var created = await scope.Client.Containers.CreateAsync(request, scope.Name(name), cancellationToken);
        await scope.Client.Containers.StartAsync(created.Id, cancellationToken);
        var result = await scope.Client.Containers.WaitAsync(created.Id, ContainerWaitCondition.NotRunning, cancellationToken);
        return (created.Id, result.StatusCode);
    }
}
