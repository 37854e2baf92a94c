namespace NotebookGateway.Docker;

/// <summary>How to reach the engine.</summary>
public sealed record DockerClientOptions
{
    public const string DefaultSocketPath = "/var/run/docker.sock";

    /// <summary>Unix socket of the Docker Engine (or Podman's Docker-compatible service).</summary>
    public string SocketPath { get; init; } = DefaultSocketPath;

    /// <summary>
    /// Upper bound for an ordinary request/response call. Streams (events, image import, wait) are bounded by
    /// the caller's token instead, since they legitimately last long.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Use this API version (e.g. <c>"1.44"</c>) instead of negotiating; it must still be at least
    /// <see cref="DockerClient.MinimumApiVersion"/>.
    /// </summary>
    public string? ApiVersion { get; init; }
}
