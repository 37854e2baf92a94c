namespace NotebookGateway.Jupyter.Client;

/// <summary>The kernel stopped answering (heartbeat) or its connection was closed while a request was pending.</summary>
public sealed class KernelDiedException : Exception
{
    public KernelDiedException() : this("The kernel died.")
    {
    }

    public KernelDiedException(string message) : base(message)
    {
    }

    public KernelDiedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
