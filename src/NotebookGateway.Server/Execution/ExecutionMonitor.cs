using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Execution;

/// <summary>
/// The cells of one kernel: a wall-clock limit per cell and a CPU budget per window (interrupt at the limit, restart
/// when the cell is not answered within the grace period, a notice in the cell either way), a bound on CPU used while no
/// cell is outstanding, executes refused while the CPU budget is spent, and one metric sample and audit record per
/// completed cell. Everything rests on what the gateway itself sees, never on what the kernel claims: a cell starts when
/// the gateway forwards it (or when the cell before it is answered), ends with the one reply the gateway matched to it,
/// and CPU comes from the container's cgroup. The kernel's status messages decide nothing here (code in the kernel holds
/// its key and can publish any status). Timers run on the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class ExecutionMonitor : IExecutionObserver, IDisposable
{
    private readonly ExecutionTarget _kernel;
    private readonly ExecutionOptions _options;
    private readonly ExecutionServices _services;
    private readonly Func<Task> _interrupt;
    private readonly Func<Task> _restart;
    private readonly Lock _lock = new();
    /// <summary>Cells forwarded and not yet answered, in the order the kernel runs them.</summary>
    private readonly List<Cell> _cells = [];
    private readonly CpuActivity _cpu;
    private readonly double _wallClockSeconds;
    private readonly ITimer _cpuTimer;
    private Cell? _running;
    private ITimer? _wallTimer;
    private ITimer? _graceTimer;
    private ITimer? _backgroundGraceTimer;
    private double? _backgroundStoppedAt;
    private bool _cellSinceLastSample;
    private bool _cpuSpent;
    private bool _disposed;

    public ExecutionMonitor(ExecutionTarget kernel, ExecutionOptions options, ExecutionServices services, Func<Task> interrupt, Func<Task> restart)
    {
        _kernel = kernel;
        _options = options;
        _services = services;
        _interrupt = interrupt;
        _restart = restart;
        _cpu = new CpuActivity(options.CpuWindow, options.BackgroundCpuWindow, options.ActiveCpuPercent / 100);
        // The gateway's limit (0 = off); a kernelspec may set a tighter one.
        _wallClockSeconds = options.WallClockSecondsPerCell > 0 && kernel.SpecCellTimeoutSeconds > 0
            ? Math.Min(options.WallClockSecondsPerCell, kernel.SpecCellTimeoutSeconds)
            : options.WallClockSecondsPerCell;
        // Always sampled: culling and the gateway's busy state need it even with the CPU limits off. One-shot,
        // re-armed after each sample: samples never overlap, however slow a read is.
        _cpuTimer = services.Time.CreateTimer(static s => ((ExecutionMonitor)s!).SampleCpu(), this, options.CpuSampleInterval, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cells admitted and not yet answered.</summary>
    public int PendingCells
    {
        get
        {
            lock (_lock)
            {
                return _cells.Count;
            }
        }
    }

    /// <summary>The gateway's view: a cell is outstanding, or the sandbox used CPU in the last sample interval.</summary>
    public bool IsBusy
    {
        get
        {
            lock (_lock)
            {
                return _cells.Count > 0 || _cpu.ActiveNow;
            }
        }
    }

    /// <summary>When the sandbox last used a noticeable share of a core (cgroup), if ever.</summary>
    public DateTimeOffset? LastCpuActivity
    {
        get
        {
            lock (_lock)
            {
                return _cpu.LastActiveAt;
            }
        }
    }

    public ExecutionRefusal? Admit(JupyterMessage request)
    {
        Cell cell = NewCell(request);
        double wait;
        lock (_lock)
        {
            if (!_cpuSpent)
            {
                _cells.Add(cell);
                _cellSinceLastSample = true;
                StartNext();
                return null;
            }
            wait = Math.Max(1, Math.Ceiling((_cpu.FreesAt(_options.CpuSecondsPerWindow) - _services.Time.GetUtcNow()).TotalSeconds));
        }
        string text = string.Create(CultureInfo.InvariantCulture,
            $"[execution refused: this kernel used its {Seconds(_options.CpuSecondsPerWindow)} of CPU time in the last {Seconds(_options.CpuWindowSeconds)}; try again in {wait:0} s]\n");
        Log.Refused(_services.Logger, _kernel.Id, _kernel.Owner);
        Complete(cell, "refused", "cpu", TimeSpan.Zero);
        return GatewayMessages.RefuseExecute(request, "ExecutionRefused", text, _services.Time);
    }

    public void OnRefused(JupyterMessage request, string limit, string? rule = null)
    {
        Complete(NewCell(request), "refused", limit, TimeSpan.Zero, rule);
        SignalRefusal(limit, rule);
    }

    public void OnWithdrawn(JupyterMessage request)
    {
        // The newest cell with that msg_id: an earlier one with the same id is the one the kernel really has.
        lock (_lock)
        {
            int index = _cells.FindLastIndex(c => c.MsgId == request.MsgId);
            if (index >= 0)
            {
                Remove(index);
            }
        }
    }

    /// <summary>The reply the gateway matched to a forwarded request (at most one per request, forged or not).</summary>
    public void OnReply(JupyterMessage reply)
    {
        if (reply.MsgType != MessageTypes.ExecuteReply || reply.ParentMsgId is not { } parent)
        {
            return;
        }
        Cell cell;
        lock (_lock)
        {
            int index = _cells.FindIndex(c => c.MsgId == parent);
            if (index < 0)
            {
                return;
            }
            cell = Remove(index);
        }
        string status = reply.GetContentString("status") ?? ReplyStatus.Error;
        Complete(cell, cell.StoppedBy is null ? status : "timeout", cell.StoppedBy, Elapsed(cell));
    }

    /// <summary>Under the lock: the cell leaves the queue; if it was running, its clocks stop and the next one's starts.</summary>
    private Cell Remove(int index)
    {
        Cell cell = _cells[index];
        _cells.RemoveAt(index);
        if (ReferenceEquals(_running, cell))
        {
            StopTimers();
            _running = null;
            StartNext();
        }
        return cell;
    }

    public void OnKernelReset()
    {
        List<Cell> ended;
        lock (_lock)
        {
            StopTimers();
            StopBackgroundWatch();
            _cpu.ResetBackground(); // the new run starts clean: whatever ran in the background died with the old one
            _running = null;
            ended = [.. _cells];
            _cells.Clear();
        }
        foreach (Cell cell in ended)
        {
            Complete(cell, cell.StoppedBy is null ? "aborted" : "timeout", cell.StoppedBy, Elapsed(cell));
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            StopTimers();
            StopBackgroundWatch();
            _cpuTimer.Dispose();
        }
    }

    private void OnWallClock(Cell cell)
    {
        lock (_lock)
        {
            if (_disposed || !ReferenceEquals(_running, cell) || cell.StoppedBy is not null)
            {
                return;
            }
            Stop(cell, "wall_clock", $"[execution stopped: this cell ran longer than the {Seconds(_wallClockSeconds)} limit; the kernel was interrupted]\n");
        }
    }

    /// <summary>Under the lock: the oldest outstanding cell is the one the kernel runs; its clock starts now.</summary>
    private void StartNext()
    {
        if (_running is not null || _cells.Count == 0)
        {
            return;
        }
        Cell cell = _cells[0];
        cell.StartedAt = _services.Time.GetTimestamp();
        _running = cell;
        _wallTimer = _wallClockSeconds > 0
            ? _services.Time.CreateTimer(_ => OnWallClock(cell), null, TimeSpan.FromSeconds(_wallClockSeconds), Timeout.InfiniteTimeSpan)
            : null;
    }

    private void SampleCpu()
    {
        try
        {
            if (_kernel.Usage.ReadCpu() is { } sample)
            {
                AddCpuSample(sample.ContainerId, sample.Seconds);
            }
            SampleContainerCounters();
        }
        finally
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    _cpuTimer.Change(_options.CpuSampleInterval, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    private void AddCpuSample(string container, double seconds)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _cpu.Add(_services.Time.GetUtcNow(), container, seconds, background: !_cellSinceLastSample);
            _cellSinceLastSample = _cells.Count > 0;
            _cpuSpent = _options.CpuSecondsPerWindow > 0 && _cpu.Used >= _options.CpuSecondsPerWindow;
            if (_cpuSpent && _running is { StoppedBy: null } cell)
            {
                Stop(cell, "cpu", $"[execution stopped: this kernel used more than {Seconds(_options.CpuSecondsPerWindow)} of CPU time in the last {Seconds(_options.CpuWindowSeconds)}; the kernel was interrupted; new cells are refused until the window frees up]\n");
            }
            if (_options.BackgroundCpuSecondsPerWindow > 0 && _backgroundStoppedAt is null && _cpu.BackgroundUsed >= _options.BackgroundCpuSecondsPerWindow)
            {
                StopBackground();
            }
        }
    }

    /// <summary>Under the lock: notice, interrupt, and the grace timer that restarts a kernel ignoring the interrupt.</summary>
    private void Stop(Cell cell, string limit, string notice)
    {
        cell.StoppedBy = limit;
        _services.Metrics.Timeouts.Add(1, new KeyValuePair<string, object?>("limit", limit));
        SignalStop(limit, notice);
        Log.CellStopped(_services.Logger, _kernel.Id, _kernel.Owner, cell.MsgId, limit);
        _kernel.Channels.PublishCellNotice(cell.HeaderJson, notice);
        _graceTimer?.Dispose();
        _graceTimer = _services.Time.CreateTimer(_ => OnGraceOver(cell), null, _options.InterruptGrace, Timeout.InfiniteTimeSpan);
        _ = RunAsync(_interrupt, "interrupt");
    }

    private void OnGraceOver(Cell cell)
    {
        lock (_lock)
        {
            if (_disposed || !ReferenceEquals(_running, cell))
            {
                return; // it was answered in time
            }
            _services.Metrics.TimeoutRestarts.Add(1);
            Log.Restarting(_services.Logger, _kernel.Id, _kernel.Owner, cell.MsgId);
            _kernel.Channels.PublishCellNotice(cell.HeaderJson, $"[kernel restarted: the cell did not stop within {Seconds(_options.InterruptGraceSeconds)} of the interrupt]\n");
            StopTimers();
        }
        _ = RunAsync(_restart, "restart");
    }

    private async Task RunAsync(Func<Task> action, string what)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The kernel died or was shut down meanwhile: its lifecycle reports that.
            Log.ActionFailed(_services.Logger, _kernel.Id, what, ex.Message);
        }
    }

    private void StopTimers()
    {
        _wallTimer?.Dispose();
        _wallTimer = null;
        _graceTimer?.Dispose();
        _graceTimer = null;
    }

    private TimeSpan Elapsed(Cell cell) => _services.Time.GetElapsedTime(cell.StartedAt ?? cell.AdmittedAt);

    private void Complete(Cell cell, string outcome, string? limit, TimeSpan duration, string? rule = null)
    {
        _services.Metrics.Executions.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (outcome != "refused")
        {
            _services.Metrics.Duration.Record(duration.TotalSeconds);
        }
        if (!_services.Audit.Enabled)
        {
            return;
        }
        _services.Audit.Write(new AuditRecord
        {
            Time = _services.Time.GetUtcNow(),
            User = _kernel.Owner,
            KernelId = _kernel.Id,
            KernelName = _kernel.KernelName,
            MsgId = cell.MsgId,
            CodeSha256 = cell.CodeSha256,
            CodeBytes = cell.CodeBytes,
            DurationSeconds = Math.Round(duration.TotalSeconds, 6),
            Outcome = outcome,
            Limit = limit,
            Rule = rule,
        });
    }

    /// <summary>A cell for <paramref name="request"/>: the hash and size of its code (for the audit log only), never the code.</summary>
    private Cell NewCell(JupyterMessage request)
    {
        if (!_services.Audit.Enabled)
        {
            return new Cell(request.MsgId, request.HeaderJson, "", 0, _services.Time.GetTimestamp()); // no parse, no hash on the relay path
        }
        byte[] utf8 = Encoding.UTF8.GetBytes(request.GetContentString("code") ?? "");
        return new Cell(request.MsgId, request.HeaderJson, Convert.ToHexStringLower(SHA256.HashData(utf8)), utf8.Length, _services.Time.GetTimestamp());
    }

    private static string Seconds(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.###} s");

    private sealed class Cell(string msgId, ReadOnlyMemory<byte> headerJson, string codeSha256, long codeBytes, long admittedAt)
    {
        public string MsgId { get; } = msgId;

        /// <summary>The request's header: the parent of every notice in this cell.</summary>
        public ReadOnlyMemory<byte> HeaderJson { get; } = headerJson;

        public string CodeSha256 { get; } = codeSha256;

        public long CodeBytes { get; } = codeBytes;

        public long AdmittedAt { get; } = admittedAt;

        public long? StartedAt { get; set; }

        /// <summary>The limit that stopped the cell (wall_clock, cpu), once one did.</summary>
        public string? StoppedBy { get; set; }
    }
}
