namespace NotebookGateway.Jupyter.Wire;

/// <summary>
/// The last <c>capacity</c> distinct values added, oldest forgotten first: bounded memory however long a kernel lives
/// (signatures seen, msg_ids sent, requests given up on). Thread-safe.
/// </summary>
internal sealed class RecentSet<T>(int capacity)
    where T : notnull
{
    private readonly HashSet<T> _set = [];
    private readonly Queue<T> _order = new();
    private readonly Lock _lock = new();

    /// <summary>False when <paramref name="value"/> is already among the recent ones.</summary>
    public bool Add(T value)
    {
        lock (_lock)
        {
            if (!_set.Add(value))
            {
                return false;
            }
            _order.Enqueue(value);
            if (_order.Count > capacity)
            {
                _set.Remove(_order.Dequeue());
            }
            return true;
        }
    }

    public bool Contains(T value)
    {
        lock (_lock)
        {
            return _set.Contains(value);
        }
    }
}
