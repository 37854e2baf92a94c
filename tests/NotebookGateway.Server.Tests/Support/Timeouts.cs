namespace NotebookGateway.Server.Tests.Support;

/// <summary>Upper bounds of every wait in this project (a 2-core machine running Docker; nothing sleeps to synchronise).</summary>
internal static class Timeouts
{
    /// <summary>Something that should happen "now": a reply to an idle kernel, a socket close, a REST call.</summary>
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(15);

    /// <summary>A short cell, including the gateway relaying it.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    /// <summary>A kernel start or restart (container launch, ipykernel start, first kernel_info; the first one runs the sandbox self-test).</summary>
    public static readonly TimeSpan KernelStart = TimeSpan.FromSeconds(90);

    /// <summary>From process start to the "listening" line.</summary>
    public static readonly TimeSpan GatewayStart = TimeSpan.FromSeconds(90);

    /// <summary>From SIGTERM to process exit.</summary>
    public static readonly TimeSpan GatewayStop = TimeSpan.FromSeconds(30);
}
