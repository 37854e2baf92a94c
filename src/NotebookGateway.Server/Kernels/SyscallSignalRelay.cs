using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Observation;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Server.Monitoring;

namespace NotebookGateway.Server.Kernels;

/// <summary>
/// Turns the host's seccomp audit records into behaviour signals of the gateway's kernels: the record's process is
/// matched to a kernel by its container (cgroup), else by the session uid only that kernel runs as. Records of any
/// other process on the host are ignored. Nothing here comes from the kernel's own messages.
/// </summary>
public sealed partial class SyscallSignalRelay(
    GatewayKernelRegistry registry, RunTable runs, SandboxHost host, SecurityTimeline timeline, SignalMetrics metrics, TimeProvider time,
    ILogger<SyscallSignalRelay> logger)
    : BackgroundService
{
    /// <summary>Set once the audit subscription is up (tests wait on it); faulted when the host gives no audit records.</summary>
    public Task Listening => _listening.Task;

    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (host.SyscallSignals is not { } signals)
        {
            _listening.TrySetException(new InvalidOperationException("Sandbox:SyscallSignals is off."));
            return;
        }
        using var reader = new SeccompAuditReader(time);
        try
        {
            reader.Start();
        }
        catch (IOException ex)
        {
            Log.Unavailable(logger, ex.Message);
            _listening.TrySetException(ex);
            return;
        }
        Log.Listening(logger, signals.WatchedNames);
        _listening.TrySetResult();
        metrics.ObserveSyscallRecords(() => (true, reader.Lost + reader.Dropped));
        try
        {
            await foreach (SyscallAttempt attempt in reader.Attempts.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                if (signals.Classify(attempt.Record.Syscall, attempt.Record.Denied) is { } signal && KernelOf(attempt) is { } kernel)
                {
                    timeline.Record(new SignalSource(kernel.Id, kernel.Owner, kernel.Sandbox.Spec.Name), signal.Kind,
                        $"{signal.Detail} (process `{attempt.Record.Command}`, pid {attempt.Record.Pid})");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            metrics.ObserveSyscallRecords(() => (false, 0));
        }
    }

    private GatewayKernel? KernelOf(SyscallAttempt attempt)
    {
        if (attempt.ContainerId is { } container)
        {
            return runs.KernelIdOf(container) is { } kernelId ? registry.Find(kernelId) : null;
        }
        // The process is gone: its uid, if exactly one running kernel has it.
        List<GatewayKernel> byUid = registry.All.Where(k => k.Sandbox.Session?.Uid == attempt.Record.Uid && k.Sandbox.ContainerId is not null).Take(2).ToList();
        return byUid.Count == 1 ? byUid[0] : null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3721, Level = LogLevel.Information, Message = "Watching the audit log for denied syscalls of kernels: {Syscalls}, and inet sockets")]
        public static partial void Listening(ILogger logger, IReadOnlyCollection<string> syscalls);

        [LoggerMessage(EventId = 3722, Level = LogLevel.Error, Message = "Syscall signals are unavailable: {Reason} (the gateway must run as root on a kernel with audit support)")]
        public static partial void Unavailable(ILogger logger, string reason);
    }
}
