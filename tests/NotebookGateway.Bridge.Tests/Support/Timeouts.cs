namespace NotebookGateway.Bridge.Tests.Support;

/// <summary>Upper bounds of every wait here (a 2-core machine running Docker and real Jupyter tools; nothing sleeps to synchronise).</summary>
internal static class Timeouts
{
    /// <summary>Something that should happen "now": a reply from an idle kernel, a REST call.</summary>
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(20);

    /// <summary>A short cell through the bridge and the gateway.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    /// <summary>A kernel start through the bridge (process start, sandbox start, first kernel_info).</summary>
    public static readonly TimeSpan KernelStart = TimeSpan.FromSeconds(120);

    /// <summary>A whole tool run (a test suite, a notebook, a server start).</summary>
    public static readonly TimeSpan ToolRun = TimeSpan.FromMinutes(6);
}
