namespace NotebookGateway.Kernels.Observation;

/// <summary>
/// The kinds of behaviour signal a kernel can raise (the <c>kind</c> label of <c>sandbox_security_signals_total</c>),
/// all known in advance so the counters can be exported at 0 before the first one.
/// </summary>
public static class SignalKinds
{
    // Seen by the host's audit log (seccomp).
    public const string Ptrace = "ptrace";
    public const string Mount = "mount";
    public const string Namespace = "namespace";
    public const string KernelInterface = "kernel_interface";
    public const string NetworkSocket = "network_socket";

    // Limits the gateway measures itself.
    public const string OutOfMemory = "oom";
    public const string PidsLimit = "pids_limit";
    public const string CpuBudget = "cpu_budget";
    public const string WallClock = "wall_clock";
    public const string BackgroundCpu = "background_cpu";
    public const string OutputCap = "output_cap";
    public const string ForgedMessage = "forged_message";
    public const string ExecutionRefused = "execution_refused";
    public const string EgressDenied = "egress_denied";

    /// <summary>Not a behaviour: the gateway stopped the kernel under a stop rule (the timeline says which).</summary>
    public const string KernelStopped = "kernel_stopped";

    public static readonly IReadOnlyList<string> All =
    [
        Ptrace, Mount, Namespace, KernelInterface, NetworkSocket,
        OutOfMemory, PidsLimit, CpuBudget, WallClock, BackgroundCpu, OutputCap, ForgedMessage, ExecutionRefused, EgressDenied, KernelStopped,
    ];
}
