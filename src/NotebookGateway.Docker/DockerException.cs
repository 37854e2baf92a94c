namespace NotebookGateway.Docker;

/// <summary>Base of every error this client raises, so callers can catch the whole family at once.</summary>
public class DockerException : Exception
{
    public DockerException()
    {
    }

    public DockerException(string message) : base(message)
    {
    }

    public DockerException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
