namespace NotebookGateway.Docker;

/// <summary>The engine sent something that does not follow the documented wire format (bad log frame, bad JSON line).</summary>
public sealed class DockerProtocolException : DockerException
{
    public DockerProtocolException()
    {
    }

    public DockerProtocolException(string message) : base(message)
    {
    }

    public DockerProtocolException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
