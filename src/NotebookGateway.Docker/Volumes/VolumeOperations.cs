using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Transport;

namespace NotebookGateway.Docker.Volumes;

/// <summary>The <c>/volumes</c> endpoints (notebook-session workspaces).</summary>
public sealed class VolumeOperations
{
    private readonly DockerTransport _transport;

    internal VolumeOperations(DockerTransport transport) => _transport = transport;

    /// <summary><c>POST /volumes/create</c>. Creating an existing name returns that volume unchanged.</summary>
    public async Task<Volume> CreateAsync(VolumeCreateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = DockerTransport.Json(request, DockerJsonContext.Default.VolumeCreateRequest);
        return await _transport.SendForJsonAsync(
            HttpMethod.Post, "/volumes/create", null, content,
            DockerJsonContext.Default.Volume, $"create volume {request.Name}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /volumes/{name}</c>.</summary>
    /// <exception cref="DockerNotFoundException">No such volume.</exception>
    public Task<Volume> InspectAsync(string name, CancellationToken cancellationToken = default) =>
        _transport.SendForJsonAsync(
            HttpMethod.Get, $"/volumes/{Escape(name)}", null, null,
            DockerJsonContext.Default.Volume, $"inspect volume {name}", cancellationToken);

    /// <summary><c>DELETE /volumes/{name}</c>.</summary>
    /// <exception cref="DockerNotFoundException">No such volume.</exception>
    /// <exception cref="DockerConflictException">A container still uses it.</exception>
    public async Task RemoveAsync(string name, bool force = false, CancellationToken cancellationToken = default)
    {
        var query = new QueryString().Add("force", force);
        await _transport.SendAsync(HttpMethod.Delete, $"/volumes/{Escape(name)}", query, $"remove volume {name}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /volumes</c>, e.g. filtered by <c>label</c>, <c>name</c> or <c>dangling</c>.</summary>
    public async Task<IReadOnlyList<Volume>> ListAsync(DockerFilters? filters = null, CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendForJsonAsync(
            HttpMethod.Get, "/volumes", new QueryString().AddFilters(filters), null,
            DockerJsonContext.Default.VolumeListResponse, "list volumes", cancellationToken).ConfigureAwait(false);
        return response.Volumes ?? [];
    }

    private static string Escape(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Uri.EscapeDataString(name);
    }
}
