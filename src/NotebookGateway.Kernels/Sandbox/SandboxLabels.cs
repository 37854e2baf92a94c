namespace NotebookGateway.Kernels.Sandbox;

/// <summary>Labels on every container the gateway creates. Clients never contribute labels.</summary>
public static class SandboxLabels
{
    public const string Prefix = "org.notebookgateway.";

    /// <summary>The gateway deployment that owns the container (<c>Sandbox:Owner</c>); the orphan sweep keys on it.</summary>
    public const string Owner = "org.notebookgateway.owner";

    /// <summary>The gateway process (a fresh id per start).</summary>
    public const string Instance = "org.notebookgateway.instance";

    public const string Kernel = "org.notebookgateway.kernel";

    /// <summary>The notebook session (workspace) the kernel belongs to.</summary>
    public const string Session = "org.notebookgateway.session";

    /// <summary>One container = one run of a kernel; restarts get a new run id.</summary>
    public const string Run = "org.notebookgateway.run";

    public const string KernelSpec = "org.notebookgateway.kernelspec";

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { Owner, Instance, Kernel, Session, Run, KernelSpec };

    /// <summary>True for the gateway's own keys, which an operator's extra labels must not set.</summary>
    public static bool IsReserved(string key) => Reserved.Contains(key);
}
