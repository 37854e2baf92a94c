namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>A kernel could not be started (or restarted). Nothing of the attempt is left behind.</summary>
public sealed class KernelLaunchException : Exception
{
    public KernelLaunchException()
    {
    }

    public KernelLaunchException(string message) : base(message)
    {
    }

    public KernelLaunchException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>No kernel with that id (or it was shut down).</summary>
public sealed class KernelNotFoundException : Exception
{
    public KernelNotFoundException()
    {
    }

    public KernelNotFoundException(string message) : base(message)
    {
    }

    public KernelNotFoundException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>The in-sandbox self-test failed: the manager refuses to serve kernels. The message says which check failed.</summary>
public sealed class SandboxSelfTestException : Exception
{
    public SandboxSelfTestException()
    {
    }

    public SandboxSelfTestException(string message) : base(message)
    {
    }

    public SandboxSelfTestException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
