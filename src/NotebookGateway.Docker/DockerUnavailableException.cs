using System.Net.Sockets;

namespace NotebookGateway.Docker;

/// <summary>
/// Nothing usable at the engine socket: missing, refusing connections or not accessible. The message
/// says how to get an engine running, because that is the usual fix on a fresh machine.
/// </summary>
public sealed class DockerUnavailableException : DockerException
{
    public DockerUnavailableException(string socketPath, SocketError socketError, Exception? innerException)
        : base(Describe(socketPath, socketError), innerException ?? new SocketException((int)socketError))
    {
        SocketPath = socketPath;
        SocketError = socketError;
    }

    public DockerUnavailableException()
    {
    }

    public DockerUnavailableException(string message) : base(message)
    {
    }

    public DockerUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public string SocketPath { get; } = "";

    public SocketError SocketError { get; }

    internal const string InstallHint =
        "Install and start a Docker Engine: on Debian `apt-get install -y docker.io`, then start `dockerd` " +
        "(without systemd: remove a stale /var/run/docker.pid and run `dockerd &` as root). " +
        "Podman works too: run `podman system service` and point DockerClientOptions.SocketPath at its socket.";

    private static string Describe(string socketPath, SocketError error)
    {
        // ENOENT on a Unix socket surfaces as AddressNotAvailable; check the file to tell "missing" apart.
        var exists = File.Exists(socketPath);
        var what = (exists, error) switch
        {
            (false, _) => $"No Docker Engine socket at {socketPath}.",
            (true, SocketError.ConnectionRefused) => $"The Docker Engine socket {socketPath} exists but nothing is listening (the engine is not running).",
            (true, SocketError.AccessDenied) => $"Permission denied on the Docker Engine socket {socketPath}: run as root or as a member of the `docker` group.",
            _ => $"Cannot connect to the Docker Engine socket {socketPath} ({error}).",
        };
        return $"{what} {InstallHint}";
    }
}
