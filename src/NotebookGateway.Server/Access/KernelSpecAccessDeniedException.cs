namespace NotebookGateway.Server.Access;

/// <summary>The user may not use the kernelspec; the message names the user and the spec (shown as a 403).</summary>
public sealed class KernelSpecAccessDeniedException : Exception
{
    public KernelSpecAccessDeniedException()
    {
    }

    public KernelSpecAccessDeniedException(string message) : base(message)
    {
    }

    public KernelSpecAccessDeniedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
