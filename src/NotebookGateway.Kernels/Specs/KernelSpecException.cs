namespace NotebookGateway.Kernels.Specs;

/// <summary>A kernel.json that cannot be used; <see cref="Exception.Message"/> lists every problem.</summary>
public sealed class KernelSpecException : Exception
{
    public KernelSpecException()
    {
    }

    public KernelSpecException(string message) : base(message)
    {
    }

    public KernelSpecException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public KernelSpecException(string specName, IReadOnlyList<string> errors)
        : base($"Kernelspec '{specName}' is invalid: {string.Join(" ", errors)}")
    {
        SpecName = specName;
        Errors = errors;
    }

    public string SpecName { get; } = "";

    public IReadOnlyList<string> Errors { get; } = [];
}

/// <summary>No kernelspec of that name, or its image is not present.</summary>
public sealed class KernelSpecNotFoundException : Exception
{
    public KernelSpecNotFoundException()
    {
    }

    public KernelSpecNotFoundException(string message) : base(message)
    {
    }

    public KernelSpecNotFoundException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
