using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Execution;

/// <summary>
/// The cells of one kernel: a wall-clock limit per cell and a CPU budget per window (interrupt at the limit, restart
/// when the kernel is not idle within the grace period, a notice in the cell either way), executes refused while the
/// CPU budget is spent, and one metric sample and audit record per completed cell. Timers run on the injected
/// <see cref="TimeProvider"/>. A cell's wall clock starts when the kernel goes busy on it, not while it waits in the queue.
/// </summary>
public sealed partial class ExecutionMonitor : IExecutionObserver, IDisposable
{
    private readonly ExecutionTarget _kernel;
    private readonly ExecutionOptions _options;
    private readonly ExecutionServices _services;
    private readonly Func<Task> _interrupt;
    private readonly Func<Task> _restart;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Cell> _cells = new(StringComparer.Ordinal);
    private readonly CpuWindow _cpu;
    private readonly double _wallClockSeconds;
    private readonly ITimer? _cpuTimer;
    private Cell? _running;
    private ITimer? _wallTimer;
    private ITimer? _graceTimer;
    private bool _cpuSpent;
    private bool _disposed;

    public ExecutionMonitor(ExecutionTarget kernel, ExecutionOptions options, ExecutionServices services, Func<Task> interrupt, Func<Task> restart)
    {
        _kernel = kernel;
        _options = options;
        _services = services;
        _interrupt = interrupt;
        _restart = restart;
        _cpu = new CpuWindow(options.CpuWindow);
        // The gateway's limit (0 = off); a kernelspec may set a tighter one.
        _wallClockSeconds = options.WallClockSecondsPerCell > 0 && kernel.SpecCellTimeoutSeconds > 0
            ? Math.Min(options.WallClockSecondsPerCell, kernel.SpecCellTimeoutSeconds)
            : options.WallClockSecondsPerCell;
        if (options.CpuSecondsPerWindow > 0)
        {
            // One-shot, re-armed after each sample: samples never overlap, however slow a read is.
            _cpuTimer = services.Time.CreateTimer(static s => ((ExecutionMonitor)s!).SampleCpu(), this, options.CpuSampleInterval, Timeout.InfiniteTimeSpan);
        }
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

    public ExecutionRefusal? Admit(JupyterMessage request)
    {
        Cell cell = NewCell(request);
        double wait;
        lock (_lock)
        {
            if (!_cpuSpent)
            {
                _cells[cell.MsgId] = cell;
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

    public void OnRefused(JupyterMessage request, string limit) => Complete(NewCell(request), "refused", limit, TimeSpan.Zero);

    public void OnStatus(string parent, string state)
    {
        lock (_lock)
        {
            if (state == ExecutionStates.Busy && _cells.TryGetValue(parent, out Cell? cell) && cell.StartedAt is null)
            {
                cell.StartedAt = _services.Time.GetTimestamp();
                _running = cell;
                _wallTimer?.Dispose();
                _wallTimer = _wallClockSeconds > 0
                    ? _services.Time.CreateTimer(_ => OnWallClock(cell), null, TimeSpan.FromSeconds(_wallClockSeconds), Timeout.InfiniteTimeSpan)
                    : null;
            }
            else if (state == ExecutionStates.Idle && _running?.MsgId == parent)
            {
                StopTimers();
                _running = null;
            }
        }
    }

    public void OnReply(JupyterMessage reply)
    {
        if (reply.MsgType != MessageTypes.ExecuteReply || reply.ParentMsgId is not { } parent)
        {
            return;
        }
        Cell? cell;
        lock (_lock)
        {
            if (!_cells.Remove(parent, out cell))
            {
                return;
            }
            if (ReferenceEquals(_running, cell))
            {
                StopTimers();
                _running = null;
            }
        }
        string status = reply.GetContentString("status") ?? ReplyStatus.Error;
        Complete(cell, cell.StoppedBy is null ? status : "timeout", cell.StoppedBy, Elapsed(cell));
    }

    public void OnOutputLimited() => _services.Metrics.OutputTruncations.Add(1);

    public void OnKernelReset()
    {
        List<Cell> ended;
        lock (_lock)
        {
            StopTimers();
            _running = null;
            ended = [.. _cells.Values];
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
            _cpuTimer?.Dispose();
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

    private void SampleCpu()
    {
        try
        {
            if (_kernel.Usage.ReadCpu() is { } sample)
            {
                AddCpuSample(sample.ContainerId, sample.Seconds);
            }
        }
        finally
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    _cpuTimer?.Change(_options.CpuSampleInterval, Timeout.InfiniteTimeSpan);
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
            _cpu.Add(_services.Time.GetUtcNow(), container, seconds);
            _cpuSpent = _cpu.Used >= _options.CpuSecondsPerWindow;
            if (_cpuSpent && _running is { StoppedBy: null } cell)
            {
                Stop(cell, "cpu", $"[execution stopped: this kernel used more than {Seconds(_options.CpuSecondsPerWindow)} of CPU time in the last {Seconds(_options.CpuWindowSeconds)}; the kernel was interrupted; new cells are refused until the window frees up]\n");
            }
        }
    }

    /// <summary>Under the lock: notice, interrupt, and the grace timer that restarts a kernel ignoring the interrupt.</summary>
    private void Stop(Cell cell, string limit, string notice)
    {
        cell.StoppedBy = limit;
        _services.Metrics.Timeouts.Add(1, new KeyValuePair<string, object?>("limit", limit));
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
                return; // it stopped in time
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

    private void Complete(Cell cell, string outcome, string? limit, TimeSpan duration)
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 3501, Level = LogLevel.Information, Message = "Kernel `{KernelId}` of `{Owner}`: cell `{MsgId}` stopped by the {Limit} limit")]
        public static partial void CellStopped(ILogger logger, string kernelId, string owner, string msgId, string limit);

        [LoggerMessage(EventId = 3502, Level = LogLevel.Warning, Message = "Kernel `{KernelId}` of `{Owner}`: cell `{MsgId}` ignored the interrupt; restarting the kernel")]
        public static partial void Restarting(ILogger logger, string kernelId, string owner, string msgId);

        [LoggerMessage(EventId = 3503, Level = LogLevel.Information, Message = "Kernel `{KernelId}` of `{Owner}`: execute refused, CPU budget spent")]
        public static partial void Refused(ILogger logger, string kernelId, string owner);

        [LoggerMessage(EventId = 3504, Level = LogLevel.Warning, Message = "Kernel `{KernelId}`: {Action} after a limit failed: {Error}")]
        public static partial void ActionFailed(ILogger logger, string kernelId, string action, string error);
    }
}
