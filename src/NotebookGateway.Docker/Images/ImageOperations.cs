using System.Net;
using System.Net.Http.Headers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Transport;

namespace NotebookGateway.Docker.Images;

/// <summary>The <c>/images</c> endpoints the gateway needs: look up sandbox images, and import a root filesystem.</summary>
public sealed class ImageOperations
{
    private readonly DockerTransport _transport;

    internal ImageOperations(DockerTransport transport) => _transport = transport;

    /// <summary><c>GET /images/{name}/json</c>.</summary>
    /// <exception cref="DockerNotFoundException">No such image.</exception>
    public Task<ImageInspectResponse> InspectAsync(string name, CancellationToken cancellationToken = default) =>
        _transport.SendForJsonAsync(
            HttpMethod.Get, $"/images/{EnginePath.Escape(name)}/json", null, null,
            DockerJsonContext.Default.ImageInspectResponse, $"inspect image {name}", cancellationToken);

    /// <summary>Like <see cref="InspectAsync"/> but null when the image is not present.</summary>
    public async Task<ImageInspectResponse?> TryInspectAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return await InspectAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerNotFoundException)
        {
            return null;
        }
    }

    /// <summary><c>GET /images/json</c>; filter with <c>reference=repo:tag</c> (globs allowed) or <c>label=k=v</c>.</summary>
    public Task<IReadOnlyList<ImageSummary>> ListAsync(DockerFilters? filters = null, CancellationToken cancellationToken = default) =>
        _transport.SendForJsonAsync(
            HttpMethod.Get, "/images/json", new QueryString().AddFilters(filters), null,
            DockerJsonContext.Default.IReadOnlyListImageSummary, "list images", cancellationToken);

    /// <summary>
    /// <c>POST /images/create?fromSrc=-</c>: turns a tar of a root filesystem into an image (what
    /// <c>docker import</c> does). Needs no registry. Bounded by the caller's token only: large tars take time.
    /// </summary>
    /// <param name="rootfsTar">An uncompressed or gzip-compressed tar; read to its end, not disposed.</param>
    /// <param name="changes">Dockerfile instructions applied to the image, e.g. <c>LABEL a=b</c>, <c>CMD ["sh"]</c>.</param>
    /// <exception cref="DockerApiException">The engine refused the tar (reported inside the progress stream).</exception>
    public async Task<ImageImportResult> ImportAsync(
        Stream rootfsTar,
        string repository,
        string tag = "latest",
        IEnumerable<string>? changes = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rootfsTar);
        ArgumentException.ThrowIfNullOrEmpty(repository);
        ArgumentException.ThrowIfNullOrEmpty(tag);
        var reference = $"{repository}:{tag}";
        var operation = $"import image {reference}";
        var query = new QueryString().Add("fromSrc", "-").Add("repo", repository).Add("tag", tag);
        foreach (var change in changes ?? [])
        {
            query.Add("changes", change);
        }

        using var content = new StreamContent(rootfsTar);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var response = await _transport.OpenStreamAsync(HttpMethod.Post, "/images/create", query, content, operation, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        string? imageId = null;
        await using (stream.ConfigureAwait(false))
        {
            await foreach (var message in JsonLinesReader.ReadAsync(stream, DockerJsonContext.Default.ProgressMessage, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var error = message.ErrorDetail?.Message ?? message.Error;
                if (error is not null)
                {
                    // The status line was already 200 when the failure happened; use the detail's code if it has one.
                    var status = message.ErrorDetail?.Code is >= 400 and < 600 and var code ? (HttpStatusCode)code : HttpStatusCode.InternalServerError;
                    throw DockerApiException.Create(status, error, operation);
                }

                if (message.Status?.StartsWith("sha256:", StringComparison.Ordinal) == true)
                {
                    imageId = message.Status;
                }
            }
        }

        if (_transport.IsPodman && imageId is not null)
        {
            // Podman 4.3 ignores the tag of an import and names the image {repository}:latest: tag it as asked.
            var tagQuery = new QueryString().Add("repo", repository).Add("tag", tag);
            await _transport.SendAsync(HttpMethod.Post, $"/images/{EnginePath.Escape(imageId)}/tag", tagQuery, $"tag image {reference}", cancellationToken).ConfigureAwait(false);
        }

        DockerLog.ImageImported(_transport.Logger, reference, imageId ?? "?");
        return new ImageImportResult(imageId, reference);
    }

    /// <summary><c>DELETE /images/{name}</c>.</summary>
    /// <exception cref="DockerConflictException">A container uses the image (without <paramref name="force"/>).</exception>
    public async Task RemoveAsync(string name, bool force = false, CancellationToken cancellationToken = default)
    {
        var query = new QueryString().Add("force", force);
        await _transport.SendAsync(HttpMethod.Delete, $"/images/{EnginePath.Escape(name)}", query, $"remove image {name}", cancellationToken).ConfigureAwait(false);
    }
}
