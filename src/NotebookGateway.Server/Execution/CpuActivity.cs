namespace NotebookGateway.Server.Execution;

/// <summary>
/// A kernel's CPU use as the gateway measures it from its container's cgroup, never as the kernel reports it: the
/// seconds used over the budget window, the seconds used while no cell was outstanding (background work, e.g. a thread
/// left running after a forged early reply), and when the sandbox last used a noticeable share of a core.
/// </summary>
public sealed class CpuActivity(TimeSpan window, TimeSpan backgroundWindow, double activeShareOfACore)
{
    private readonly CpuWindow _all = new(window);
    private CpuWindow _background = new(backgroundWindow);
    private double _backgroundTotal;
    private DateTimeOffset? _lastAt;
    private double _lastTotal;

    /// <summary>CPU seconds used within the budget window.</summary>
    public double Used => _all.Used;

    /// <summary>CPU seconds used within the background window while no cell was outstanding.</summary>
    public double BackgroundUsed => _background.Used;

    /// <summary>CPU seconds used while no cell was outstanding, since the last <see cref="ResetBackground"/>.</summary>
    public double BackgroundTotal => _backgroundTotal;

    /// <summary>Whether the last interval used at least the active share of a core.</summary>
    public bool ActiveNow { get; private set; }

    /// <summary>The end of the last interval that used at least the active share of a core.</summary>
    public DateTimeOffset? LastActiveAt { get; private set; }

    /// <summary>When the budget window's usage falls below <paramref name="limit"/> if the kernel stays idle.</summary>
    public DateTimeOffset FreesAt(double limit) => _all.FreesAt(limit);

    /// <summary>
    /// Adds a sample of <paramref name="container"/>'s cumulative usage; <paramref name="background"/> says that no cell
    /// was outstanding at any time since the previous sample.
    /// </summary>
    public void Add(DateTimeOffset at, string container, double containerSeconds, bool background)
    {
        _all.Add(at, container, containerSeconds);
        double used = _lastAt is null ? 0 : Math.Max(0, _all.Total - _lastTotal);
        double elapsed = _lastAt is { } last ? (at - last).TotalSeconds : 0;
        ActiveNow = elapsed > 0 && used >= activeShareOfACore * elapsed;
        if (ActiveNow)
        {
            LastActiveAt = at;
        }
        if (background)
        {
            _backgroundTotal += used;
        }
        _background.Add(at, "background", _backgroundTotal);
        _lastAt = at;
        _lastTotal = _all.Total;
    }

    /// <summary>Forgets background use (the kernel restarted, or stopped what it ran when interrupted).</summary>
    public void ResetBackground()
    {
        _background = new CpuWindow(backgroundWindow);
        _backgroundTotal = 0;
    }
}
