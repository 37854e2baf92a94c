using System.Text.RegularExpressions;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>What the server asks for when it starts a kernel.</summary>
public sealed partial record KernelStartRequest
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

    /// <summary>
    /// The network policy, decided by the server from the gateway's configuration (never from what a client sent);
    /// null: the kernelspec's own.
    /// </summary>
    public string? NetworkPolicy { get; init; }

    /// <summary>What the host keeps with the kernel in the state directory (see <see cref="SandboxKernel.Annotations"/>).</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>Checks the ids; returns the kernel's id (a new uuid when none was asked for).</summary>
    /// <exception cref="ArgumentException">The kernel id or the session id is malformed.</exception>
    internal string Validate()
    {
        var kernelId = KernelId ?? Guid.NewGuid().ToString();
        if (!KernelIdPattern().IsMatch(kernelId))
        {
            throw new ArgumentException($"'{kernelId}' is not a valid kernel id.", "request");
        }

        if (SessionId is { } sid && (sid.Length is 0 or > 512 || sid.Any(char.IsControl) || sid.StartsWith(KernelPool.SessionPrefix, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"The session id must be 1-512 characters without control characters, not starting with '{KernelPool.SessionPrefix}'.", "request");
        }

        return kernelId;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex KernelIdPattern();
}
