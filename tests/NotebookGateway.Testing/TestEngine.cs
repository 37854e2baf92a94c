using NotebookGateway.Docker;

namespace NotebookGateway.Testing;

/// <summary>
/// The engine the engine-facing tests run against: Docker unless <c>NBGW_TEST_ENGINE=podman</c> (scripts/test.sh runs
/// the Docker and Kernels tests once with each). <c>DOCKER_HOST=unix://…</c> overrides the socket.
/// </summary>
public static class TestEngine
{
    public const string PodmanSocket = "/run/podman/podman.sock";

    public static bool IsPodman { get; } =
        string.Equals(Environment.GetEnvironmentVariable("NBGW_TEST_ENGINE"), "podman", StringComparison.OrdinalIgnoreCase);

    public static string SocketPath
    {
        get
        {
            var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
            return host is not null && host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..]
                : IsPodman ? PodmanSocket
                : DockerClientOptions.DefaultSocketPath;
        }
    }

    /// <summary>A container's cgroup v1 directory of <paramref name="controller"/> under this host's cgroupfs driver.</summary>
    public static string CgroupDirectory(string controller, string containerId) => IsPodman
        ? $"/sys/fs/cgroup/{controller}/libpod_parent/libpod-{containerId}"
        : $"/sys/fs/cgroup/{controller}/docker/{containerId}";
}
