namespace NotebookGateway.Server.Execution;

/// <summary>
/// CPU seconds a kernel used over a sliding window, from samples of its cumulative usage. The baseline is the newest
/// sample at least one window old (or the oldest there is), so the figure never undercounts what the window holds.
/// Containers come and go with restarts: usage is carried over, so a restart does not reset the window.
/// </summary>
public sealed class CpuWindow(TimeSpan window)
{
    private readonly Queue<(DateTimeOffset At, double Seconds)> _samples = new();
    private string? _container;
    private double _containerLast;
    private double _carried;

    /// <summary>Cumulative CPU seconds of the kernel over all its containers so far.</summary>
    public double Total { get; private set; }

    /// <summary>Adds a sample of <paramref name="container"/>'s cumulative usage.</summary>
    public void Add(DateTimeOffset at, string container, double containerSeconds)
    {
        if (!string.Equals(container, _container, StringComparison.Ordinal))
        {
            _carried += _containerLast; // the previous container's usage stays in the window
            _container = container;
            _containerLast = 0;
        }
        _containerLast = Math.Max(_containerLast, containerSeconds);
        Total = _carried + _containerLast;
        _samples.Enqueue((at, Total));
        // Keep one sample older than the window as the baseline.
        while (_samples.Count > 2 && _samples.ElementAt(1).At <= at - window)
        {
            _samples.Dequeue();
        }
    }

    /// <summary>CPU seconds used within the window that ends at the newest sample.</summary>
    public double Used => _samples.Count == 0 ? 0 : Total - _samples.Peek().Seconds;

    /// <summary>When the usage in the window will have fallen below <paramref name="limit"/> if the kernel stays idle.</summary>
    public DateTimeOffset FreesAt(double limit)
    {
        foreach ((DateTimeOffset at, double seconds) in _samples)
        {
            if (Total - seconds < limit)
            {
                return at + window;
            }
        }
        return _samples.Count == 0 ? DateTimeOffset.MinValue : _samples.Last().At + window;
    }
}
