using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Kernels.Observation;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Server.Monitoring;

namespace NotebookGateway.Server.Execution;

/// <summary>What the execution limits saw, as behaviour signals in the kernel's security timeline.</summary>
public sealed partial class ExecutionMonitor
{
    private long _forged;
    private long _pidsLimitHits;
    private long _oomKills;

    public ReadOnlyMemory<byte> RunningCellHeader
    {
        get
        {
            lock (_lock)
            {
                return _running?.HeaderJson ?? ReadOnlyMemory<byte>.Empty;
            }
        }
    }

    public void OnOutputLimited()
    {
        _services.Metrics.OutputTruncations.Add(1);
        Signal(SignalKinds.OutputCap, "output cut by the output byte cap or the iopub rate limit");
    }

    public void OnForged(string msgType, string? parentMsgId)
    {
        _services.Metrics.ForgedMessages.Add(1, new KeyValuePair<string, object?>("msg_type",
            msgType is MessageTypes.ExecuteReply or MessageTypes.Status or MessageTypes.InputRequest ? msgType : "other")); // bounded label values
        Signal(SignalKinds.ForgedMessage, $"`{msgType}` for a request that is not outstanding; dropped");
        long count;
        lock (_lock)
        {
            count = ++_forged;
            // One security event for the first, then one per power of two: a flood of forgeries cannot flood the log.
            if ((count & (count - 1)) != 0)
            {
                return;
            }
        }
        _services.SecurityEvents?.Report(SecurityEventKinds.ForgedMessage, _kernel.Id, null,
            $"`{msgType}` for request `{parentMsgId ?? "-"}`, which is not outstanding; dropped ({count} so far)");
    }

    private void Signal(string kind, string detail) =>
        _services.Timeline?.Record(new SignalSource(_kernel.Id, _kernel.Owner, _kernel.KernelName), kind, detail.Trim().Trim('[', ']'));

    /// <summary>A cell stopped by a limit.</summary>
    private void SignalStop(string limit, string notice) =>
        Signal(limit == "cpu" ? SignalKinds.CpuBudget : SignalKinds.WallClock, notice);

    /// <summary>A cell refused before the kernel saw it: admission rules are signals; the execute rate is traffic, not behaviour.</summary>
    private void SignalRefusal(string limit, string? rule)
    {
        if (rule is not null)
        {
            Signal(SignalKinds.ExecutionRefused, $"cell refused by the {limit} rule `{rule}`");
        }
    }

    /// <summary>On each CPU sample: forks the pids limit refused and processes the OOM killer took since the last sample.</summary>
    private void SampleContainerCounters()
    {
        long pidsHits = Increase(_kernel.Usage.ReadPidsLimitHits(), ref _pidsLimitHits);
        long oomKills = Increase(_kernel.Usage.ReadOomKills(), ref _oomKills);
        if (pidsHits > 0)
        {
            Signal(SignalKinds.PidsLimit, $"{pidsHits} process or thread creations refused at the pids limit ({_kernel.Usage.ReadTasks()} tasks now)");
        }
        if (oomKills > 0)
        {
            Signal(SignalKinds.OutOfMemory, $"{oomKills} processes killed by the OOM killer at the memory limit");
        }
    }

    /// <summary>How much a cgroup counter grew since the last read; a restart's new container counts from 0 again.</summary>
    private long Increase(long? now, ref long last)
    {
        if (now is not { } value)
        {
            return 0;
        }
        lock (_lock)
        {
            long grown = value >= last ? value - last : value;
            last = value;
            return grown;
        }
    }
}
