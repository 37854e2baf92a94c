namespace NotebookGateway.Docker.Models;

/// <summary>Answer of <c>GET /images/{name}/json</c> (the fields the gateway reads).</summary>
public sealed record ImageInspectResponse
{
    public required string Id { get; init; }

    public IReadOnlyList<string>? RepoTags { get; init; }

    public IReadOnlyList<string>? RepoDigests { get; init; }

    public string? Created { get; init; }

    public long Size { get; init; }

    public string? Os { get; init; }

    public string? Architecture { get; init; }

    public ImageConfig? Config { get; init; }
}

public sealed record ImageConfig
{
    public string? User { get; init; }

    public IReadOnlyList<string>? Env { get; init; }

    public IReadOnlyList<string>? Cmd { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    public string? WorkingDir { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>One entry of <c>GET /images/json</c>.</summary>
public sealed record ImageSummary
{
    public required string Id { get; init; }

    public string? ParentId { get; init; }

    public IReadOnlyList<string>? RepoTags { get; init; }

    public IReadOnlyList<string>? RepoDigests { get; init; }

    /// <summary>Unix seconds.</summary>
    public long Created { get; init; }

    public long Size { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>
/// One line of the JSON progress stream that <c>POST /images/create</c> answers with. A failure arrives here,
/// after a 200 status, as <see cref="Error"/>/<see cref="ErrorDetail"/>.
/// </summary>
public sealed record ProgressMessage
{
    public string? Status { get; init; }

    public string? Id { get; init; }

    public string? Stream { get; init; }

    public string? Error { get; init; }

    public ProgressErrorDetail? ErrorDetail { get; init; }
}

public sealed record ProgressErrorDetail
{
    public int? Code { get; init; }

    public string? Message { get; init; }
}

/// <summary>Outcome of an image import.</summary>
/// <param name="ImageId">The new image's id (<c>sha256:…</c>) when the engine reported it.</param>
/// <param name="Reference">The <c>repo:tag</c> the image was imported as.</param>
public sealed record ImageImportResult(string? ImageId, string Reference);
