using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Server.Relay;

/// <summary>
/// Protects clients and the gateway from runaway output on the streaming path: a per-cell byte cap and
/// iopub message/byte rates over a window. Past a limit the cell gets one stderr notice and further output
/// is dropped (status messages always pass, so clients still see the cell finish). The rate resets when the gateway
/// matches a cell's execute_reply, never on the kernel's idle status (which code in the kernel can forge); a cell's byte
/// count outlives its reply, since its output on iopub may still be on the way when the reply arrives on shell. Output
/// naming a parent the gateway never sent shares one bucket, and the table is bounded (ended cells go first), so memory
/// stays flat however much, and under however many parents, a kernel prints.
/// </summary>
public sealed class OutputLimiter(ChannelOptions options, TimeProvider time)
{
    /// <summary>Cells with output state at most; the running cell and those whose threads still print are far fewer.</summary>
    private const int MaxTrackedCells = 256;

    private readonly Dictionary<string, CellState> _cells = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _windowStart = time.GetTimestamp();
    private long _windowMessages;
    private long _windowBytes;
    private bool _rateExceeded;

    /// <summary>Cells with output state (at most <see cref="MaxTrackedCells"/>).</summary>
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
    /// <param name="knownParent">The message's parent is a request the gateway sent this kernel.</param>
    public bool ShouldForward(JupyterMessage message, bool knownParent, out JupyterMessage? notice)
    {
        notice = null;
        if (message.MsgType == MessageTypes.Status || !IsOutput(message.MsgType))
        {
            return true;
        }
        string parent = knownParent ? message.ParentMsgId! : "";
        lock (_lock)
        {
            long bytes = message.ContentJson.Length;
            if (!_cells.TryGetValue(parent, out CellState? cell))
            {
                if (_cells.Count >= MaxTrackedCells)
                {
                    Evict(); // forgetting a cell only restarts its byte count
                }
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

    /// <summary>The gateway matched the execute_reply of the cell <paramref name="parent"/>: the rate resets (as jupyter_server's does at the end of a cell).</summary>
    public void OnCellEnded(string parent)
    {
        lock (_lock)
        {
            if (_cells.TryGetValue(parent, out CellState? cell))
            {
                cell.Ended = true;
            }
            _cells.Remove(""); // output outside any known cell starts over with each cell
            _rateExceeded = false;
            ResetWindow();
        }
    }

    /// <summary>Under the lock: ended cells leave first; if they were not enough, everything does.</summary>
    private void Evict()
    {
        foreach (string ended in _cells.Where(c => c.Value.Ended).Select(c => c.Key).ToList())
        {
            _cells.Remove(ended);
        }
        if (_cells.Count >= MaxTrackedCells)
        {
            _cells.Clear();
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

        /// <summary>Its reply was matched; late output still counts against its cap.</summary>
        public bool Ended { get; set; }
    }
}
