namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>What the server asks for when it starts a kernel.</summary>
public sealed record KernelStartRequest
{
    /// <summary>Name of an available kernelspec.</summary>
    public required string SpecName { get; init; }

    /// <summary>The kernel's id (kept across restarts); null picks a new uuid.</summary>
    public string? KernelId { get; init; }

    /// <summary>
    /// The notebook session (or client-named workspace) whose uid and workspace the kernel uses; null gives the kernel
    /// a session of its own that ends when the kernel is shut down.
    /// </summary>
    public string? SessionId { get; init; }

    /// <summary>Client environment variables, already allowed by the server; validated again here (names, sizes).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
}
