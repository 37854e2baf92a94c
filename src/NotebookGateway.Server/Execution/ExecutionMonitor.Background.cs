using NotebookGateway.Kernels.Observation;

namespace NotebookGateway.Server.Execution;

/// <summary>The bound on CPU a kernel uses while none of its cells is outstanding (measured from its cgroup).</summary>
public sealed partial class ExecutionMonitor
{
    /// <summary>Under the lock: CPU used with no cell outstanding went over its bound: notice, interrupt, and a look after the grace.</summary>
    private void StopBackground()
    {
        _backgroundStoppedAt = _cpu.BackgroundTotal;
        _services.Metrics.Timeouts.Add(1, new KeyValuePair<string, object?>("limit", "background_cpu"));
        Log.BackgroundStopped(_services.Logger, _kernel.Id, _kernel.Owner, _cpu.BackgroundUsed);
        string notice = $"[kernel interrupted: it used {Seconds(Math.Round(_cpu.BackgroundUsed, 1))} of CPU time in the last {Seconds(_options.BackgroundCpuWindowSeconds)} while no cell was running (the limit is {Seconds(_options.BackgroundCpuSecondsPerWindow)}); it is restarted if it goes on]\n";
        _kernel.Channels.PublishNotice(notice);
        Signal(SignalKinds.BackgroundCpu, notice);
        _backgroundGraceTimer = _services.Time.CreateTimer(_ => OnBackgroundGraceOver(), null, _options.InterruptGrace, Timeout.InfiniteTimeSpan);
        _ = RunAsync(_interrupt, "interrupt");
    }

    private void OnBackgroundGraceOver()
    {
        lock (_lock)
        {
            if (_disposed || _backgroundStoppedAt is not { } atStop)
            {
                return;
            }
            StopBackgroundWatch();
            // Still computing (more than the active share of a core through the grace): the interrupt did not stop it.
            bool goesOn = _cpu.BackgroundTotal - atStop >= _options.ActiveCpuPercent / 100 * _options.InterruptGraceSeconds;
            _cpu.ResetBackground(); // stopped or restarted, the seconds behind this notice are settled
            if (!goesOn)
            {
                return;
            }
            _services.Metrics.TimeoutRestarts.Add(1);
            Log.BackgroundRestarting(_services.Logger, _kernel.Id, _kernel.Owner);
            _kernel.Channels.PublishNotice($"[kernel restarted: it kept using CPU with no cell running for {Seconds(_options.InterruptGraceSeconds)} after the interrupt]\n");
        }
        _ = RunAsync(_restart, "restart");
    }

    private void StopBackgroundWatch()
    {
        _backgroundGraceTimer?.Dispose();
        _backgroundGraceTimer = null;
        _backgroundStoppedAt = null;
    }
}
