namespace NotebookGateway.Bridge.Kernel;

/// <summary>
/// What one bridged kernel needs and every bound it keeps. The defaults suit a tool on the same host as the gateway
/// or near it; each one is a command-line option of <c>kernel</c>.
/// </summary>
public sealed record BridgeKernelOptions
{
    /// <summary>The gateway's kernelspec to start.</summary>
    public required string SpecName { get; init; }

    /// <summary>The language of the spec (from the kernelspec), for the kernel_info a failed start still answers.</summary>
    public string Language { get; init; } = "";

    /// <summary>
    /// The lease asked of the gateway (<c>KERNEL_LEASE_SECONDS</c>): if this process dies without a word, the gateway
    /// removes the kernel this long after the bridge's connection went away. Also how long a dropped connection is
    /// retried before the kernel is taken for lost.
    /// </summary>
    public int LeaseSeconds { get; init; } = 60;

    /// <summary>The named workspace (<c>KERNEL_WORKSPACE</c>) the kernel runs in; its files outlive the kernel.</summary>
    public string? Workspace { get; init; }

    /// <summary>Further <c>KERNEL_*</c> variables to hand to the gateway (from the bridge's environment).</summary>
    public IReadOnlyDictionary<string, string> KernelEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The largest message relayed either way (ZMQ_MAXMSGSIZE locally, the websocket frame limit remotely).</summary>
    public long MaxMessageBytes { get; init; } = 64L << 20;

    /// <summary>Requests awaiting their reply whose sender is remembered; the oldest are forgotten beyond this.</summary>
    public int MaxPendingRequests { get; init; } = 10_000;

    /// <summary>Messages from the tool waiting for the gateway (while it starts the kernel or while reconnecting).</summary>
    public int OutboxMessages { get; init; } = 1_000;

    /// <summary>A kernel start or restart on the gateway, sandbox included.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Any other REST call, and opening the websocket.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the bridge waits for the gateway to confirm a deletion before it exits anyway (jupyter_client sends
    /// SIGTERM 2.5 s after a shutdown_request); the gateway finishes a deletion it has received either way.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>After the gateway reports the kernel dead, how long its last messages are relayed before the bridge exits.</summary>
    public TimeSpan DeadExitDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Websocket ping interval (a dead connection is noticed within twice this).</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two reconnection attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    /// <summary>Every problem, named by its option.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(SpecName))
        {
            errors.Add("--spec must name one of the gateway's kernelspecs.");
        }
        if (LeaseSeconds is < 5 or > 86400)
        {
            errors.Add($"--lease-seconds must be 5-86400 (got {LeaseSeconds}).");
        }
        if (MaxMessageBytes is < 1 << 16 or > int.MaxValue)
        {
            errors.Add($"--max-message-bytes must be 64 KiB to 2 GiB (got {MaxMessageBytes}).");
        }
        if (MaxPendingRequests < 16)
        {
            errors.Add($"--max-pending-requests must be at least 16 (got {MaxPendingRequests}).");
        }
        if (OutboxMessages < 16)
        {
            errors.Add($"--outbox-messages must be at least 16 (got {OutboxMessages}).");
        }
        if (Workspace is not null && !WorkspaceNames.IsValid(Workspace))
        {
            errors.Add($"--workspace must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (got '{Workspace}').");
        }
        return errors;
    }
}
