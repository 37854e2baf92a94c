using System.Net;

namespace NotebookGateway.Docker;

/// <summary>
/// The engine answered, but with an error status. <see cref="EngineMessage"/> is the engine's own
/// <c>{"message": …}</c> text, which is what a person needs to see (e.g. "No such container: …").
/// </summary>
public class DockerApiException : DockerException
{
    public DockerApiException(HttpStatusCode status, string engineMessage, string operation)
        : base($"Docker {operation} failed with {(int)status} {status}: {engineMessage}")
    {
        StatusCode = status;
        EngineMessage = engineMessage;
        Operation = operation;
    }

    public DockerApiException()
    {
    }

    public DockerApiException(string message) : base(message)
    {
    }

    public DockerApiException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public HttpStatusCode StatusCode { get; }

    public string EngineMessage { get; } = "";

    /// <summary>What we were doing, e.g. <c>inspect container 3f2a…</c>.</summary>
    public string Operation { get; } = "";

    public bool IsNotFound => this is DockerNotFoundException;

    public bool IsConflict => this is DockerConflictException;

    /// <summary>
    /// Builds the most specific subclass for <paramref name="status"/>. Podman's compatible service (4.3) answers a name in
    /// use, a kill of a stopped container or a removal of a running one with 500 ("that name is already in use",
    /// "container state improper"); those are the conflicts Docker reports as 409. It also answers 500 for a container
    /// removed while it is being looked at ("does not exist in database: no such container"), Docker's 404.
    /// </summary>
    public static DockerApiException Create(HttpStatusCode status, string engineMessage, string operation) => status switch
    {
        HttpStatusCode.NotFound => new DockerNotFoundException(engineMessage, operation),
        HttpStatusCode.InternalServerError when engineMessage.Contains("no such container", StringComparison.Ordinal)
            => new DockerNotFoundException(status, engineMessage, operation),
        HttpStatusCode.Conflict => new DockerConflictException(engineMessage, operation),
        HttpStatusCode.InternalServerError when engineMessage.Contains("name is already in use", StringComparison.Ordinal)
            || engineMessage.Contains("container state improper", StringComparison.Ordinal)
            => new DockerConflictException(status, engineMessage, operation),
        _ => new DockerApiException(status, engineMessage, operation),
    };
}

/// <summary>404: no such container, image or volume.</summary>
public sealed class DockerNotFoundException : DockerApiException
{
    public DockerNotFoundException(string engineMessage, string operation)
        : base(HttpStatusCode.NotFound, engineMessage, operation)
    {
    }

    /// <summary>A missing object the engine reported with another status (Podman's 500s); the status is kept as sent.</summary>
    public DockerNotFoundException(HttpStatusCode status, string engineMessage, string operation)
        : base(status, engineMessage, operation)
    {
    }

    public DockerNotFoundException()
    {
    }

    public DockerNotFoundException(string message) : base(message)
    {
    }

    public DockerNotFoundException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>409: name in use, container not running, volume in use, removal already in progress, …</summary>
public sealed class DockerConflictException : DockerApiException
{
    public DockerConflictException(string engineMessage, string operation)
        : base(HttpStatusCode.Conflict, engineMessage, operation)
    {
    }

    /// <summary>A conflict the engine reported with another status (Podman's 500s); the status is kept as sent.</summary>
    public DockerConflictException(HttpStatusCode status, string engineMessage, string operation)
        : base(status, engineMessage, operation)
    {
    }

    public DockerConflictException()
    {
    }

    public DockerConflictException(string message) : base(message)
    {
    }

    public DockerConflictException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
