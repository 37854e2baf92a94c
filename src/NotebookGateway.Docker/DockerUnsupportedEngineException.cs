namespace NotebookGateway.Docker;

/// <summary>The engine speaks an API version this client cannot use (too old, or a newer engine that dropped ours).</summary>
public sealed class DockerUnsupportedEngineException : DockerException
{
    public DockerUnsupportedEngineException(string engineVersion, string engineApiVersion, string message)
        : base(message)
    {
        EngineVersion = engineVersion;
        EngineApiVersion = engineApiVersion;
    }

    public DockerUnsupportedEngineException()
    {
    }

    public DockerUnsupportedEngineException(string message) : base(message)
    {
    }

    public DockerUnsupportedEngineException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public string EngineVersion { get; } = "";

    public string EngineApiVersion { get; } = "";
}
