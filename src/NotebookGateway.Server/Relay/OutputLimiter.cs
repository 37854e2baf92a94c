using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Server.Relay;

/// <summary>
/// Protects clients and the gateway from runaway output on the streaming path: a per-cell byte cap and
/// iopub message/byte rates over a window. Past a limit the cell gets one stderr notice and further output
/// is dropped (status messages always pass, so clients still see the cell finish). State lives only for
/// cells that are running, so memory stays flat however much a kernel prints.
/// </summary>
public sealed class OutputLimiter(ChannelOptions options, TimeProvider time)
{
    private readonly Dictionary<string, CellState> _cells = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _windowStart = time.GetTimestamp();
    private long _windowMessages;
    private long _windowBytes;
    private bool _rateExceeded;

    /// <summary>Cells with output state (running cells only).</summary>
    public int TrackedCells
    {
        get
        {
            lock (_lock)
            {
                return _cells.Count;
            }
        }
    }

    /// <summary>Output messages dropped so far (for metrics).</summary>
    public long Dropped { get; private set; }

    /// <summary>Decides what to do with one iopub message; <paramref name="notice"/> is sent before dropping starts.</summary>
    public bool ShouldForward(JupyterMessage message, out JupyterMessage? notice)
    {
        notice = null;
        string parent = message.ParentMsgId ?? "";
        lock (_lock)
        {
            if (message.MsgType == MessageTypes.Status)
            {
                if (message.GetContentString("execution_state") == ExecutionStates.Idle)
                {
                    _cells.Remove(parent);
                    _rateExceeded = false; // as jupyter_server: the counters reset when the kernel goes idle
                    ResetWindow();
                }
                return true;
            }
            if (!IsOutput(message.MsgType))
            {
                return true;
            }
            long bytes = message.ContentJson.Length;
            if (!_cells.TryGetValue(parent, out CellState? cell))
            {
                cell = new CellState();
                _cells[parent] = cell;
            }
            if (cell.Truncated)
            {
                Dropped++;
                return false;
            }
            cell.Bytes += bytes;
            if (cell.Bytes > options.OutputBytesPerCell)
            {
                cell.Truncated = true;
                Dropped++;
                notice = Notice(message, $"[output truncated: this cell exceeded the output limit of {Describe(options.OutputBytesPerCell)}; further output is dropped]\n");
                return false;
            }
            return CheckRate(message, bytes, ref notice);
        }
    }

    private bool CheckRate(JupyterMessage message, long bytes, ref JupyterMessage? notice)
    {
        double window = Math.Max(0.1, options.RateWindowSeconds);
        double elapsed = time.GetElapsedTime(_windowStart).TotalSeconds;
        if (elapsed >= window)
        {
            // Over the real elapsed time: a quiet stretch after the window lowers the rate.
            double messageRate = _windowMessages / elapsed;
            double byteRate = _windowBytes / elapsed;
            // Resume once the rate has fallen below 80% of the limits.
            if (_rateExceeded && messageRate < 0.8 * options.IOPubMessagesPerSecond && byteRate < 0.8 * options.IOPubBytesPerSecond)
            {
                _rateExceeded = false;
            }
            ResetWindow();
        }
        _windowMessages++;
        _windowBytes += bytes;
        if (_rateExceeded)
        {
            Dropped++;
            return false;
        }
        if (_windowMessages > options.IOPubMessagesPerSecond * window || _windowBytes > options.IOPubBytesPerSecond * window)
        {
            _rateExceeded = true;
            Dropped++;
            notice = Notice(message, $"[IOPub rate exceeded: the kernel sent more than {options.IOPubMessagesPerSecond} messages or {Describe(options.IOPubBytesPerSecond)} per second; output is dropped until the rate falls or the cell ends]\n");
            return false;
        }
        return true;
    }

    private void ResetWindow()
    {
        _windowStart = time.GetTimestamp();
        _windowMessages = 0;
        _windowBytes = 0;
    }

    private static bool IsOutput(string msgType) => msgType is MessageTypes.Stream or MessageTypes.DisplayData
        or MessageTypes.UpdateDisplayData or MessageTypes.ExecuteResult or MessageTypes.Error or MessageTypes.ClearOutput;

    /// <summary>A stderr stream message in the same cell as <paramref name="cause"/>.</summary>
    private JupyterMessage Notice(JupyterMessage cause, string text) => GatewayMessages.Stderr(cause.ParentHeaderJson, cause.Header.Session, text, time);

    private static string Describe(long bytes) => bytes >= 1 << 20 ? $"{bytes / (1 << 20)} MiB" : bytes >= 1024 ? $"{bytes / 1024} KiB" : $"{bytes} bytes";

    private sealed class CellState
    {
        public long Bytes { get; set; }

        public bool Truncated { get; set; }
    }
}
