using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Events;
using NotebookGateway.Docker.Images;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Transport;
using NotebookGateway.Docker.Volumes;

namespace NotebookGateway.Docker;

/// <summary>
/// A small typed client for the Docker Engine REST API over its Unix socket (Podman's compatible socket works
/// too). The API version is negotiated with <c>GET /version</c> on first use; thread-safe, keep one per process.
/// </summary>
public sealed class DockerClient : IAsyncDisposable, IDisposable
{
    /// <summary>Docker Engine 20.10, the oldest engine supported (Debian 12 ships it).</summary>
    public const string MinimumApiVersion = "1.41";

    /// <summary>Newest API version this client's models were written against; newer engines are spoken to in this one.</summary>
    public const string MaximumApiVersion = "1.47";

    private readonly DockerTransport _transport;

    public DockerClient(DockerClientOptions? options = null, ILogger<DockerClient>? logger = null)
    {
        Options = options ?? new DockerClientOptions();
        _transport = new DockerTransport(Options, (ILogger?)logger ?? NullLogger.Instance);
        Containers = new ContainerOperations(_transport);
        Images = new ImageOperations(_transport);
        Volumes = new VolumeOperations(_transport);
        Events = new EventOperations(_transport);
    }

    /// <summary>Creates a client and negotiates at once, so an unusable engine fails here rather than on first use.</summary>
    /// <exception cref="DockerUnavailableException">No engine at the socket.</exception>
    /// <exception cref="DockerUnsupportedEngineException">The engine's API is older than <see cref="MinimumApiVersion"/>.</exception>
    public static async Task<DockerClient> ConnectAsync(DockerClientOptions? options = null, ILogger<DockerClient>? logger = null, CancellationToken cancellationToken = default)
    {
        var client = new DockerClient(options, logger);
        try
        {
            await client.NegotiateAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public DockerClientOptions Options { get; }

    /// <summary>The engine's version (e.g. <c>20.10.24+dfsg1</c>); null until negotiated.</summary>
    public string? EngineVersion => _transport.EngineVersion;

    /// <summary>The API version in use (e.g. <c>1.41</c>); null until negotiated.</summary>
    public string? ApiVersion => _transport.ApiVersion;

    /// <summary>Whether the engine is Podman's Docker-compatible service; false until negotiated.</summary>
    public bool IsPodman => _transport.IsPodman;

    public ContainerOperations Containers { get; }

    public ImageOperations Images { get; }

    public VolumeOperations Volumes { get; }

    public EventOperations Events { get; }

    /// <summary>Negotiates the API version if not done yet; every operation calls it implicitly.</summary>
    public Task NegotiateAsync(CancellationToken cancellationToken = default) => _transport.EnsureNegotiatedAsync(cancellationToken);

    /// <summary><c>GET /version</c>, unversioned, without negotiating.</summary>
    public Task<VersionResponse> GetVersionAsync(CancellationToken cancellationToken = default) => _transport.GetVersionAsync(cancellationToken);

    public void Dispose() => _transport.Dispose();

    public ValueTask DisposeAsync()
    {
        _transport.Dispose();
        return ValueTask.CompletedTask;
    }
}
