namespace NotebookGateway.Testing;

/// <summary>
/// Upper bounds of every wait in the tests: generous for a loaded 2-core machine running Docker, since nothing sleeps
/// to synchronise and a bound is only reached when something is wrong.
/// </summary>
public static class TestTimeouts
{
    /// <summary>Something that should happen "now" in this process (a reply from a local kernel, an event).</summary>
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    /// <summary>Something that should happen "now" through a gateway process: a reply to an idle kernel, a socket close, a REST call.</summary>
    public static readonly TimeSpan Reply = TimeSpan.FromSeconds(15);

    /// <summary>A short cell, including the gateway relaying it.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    /// <summary>A kernel start or a full cell execution, in this process.</summary>
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>A kernel start or restart through a gateway (container launch, ipykernel start, first kernel_info; the first one runs the sandbox self-test).</summary>
    public static readonly TimeSpan KernelStart = TimeSpan.FromSeconds(90);

    /// <summary>From a gateway process's start to its "listening" line.</summary>
    public static readonly TimeSpan GatewayStart = TimeSpan.FromSeconds(90);

    /// <summary>From SIGTERM to a gateway process's exit.</summary>
    public static readonly TimeSpan GatewayStop = TimeSpan.FromSeconds(30);
}
