namespace NotebookGateway.Jupyter.Client;

/// <summary>
/// The last <c>capacity</c> msg_ids this client sent: whether a kernel's message names a request that really exists.
/// Bounded, so a long-lived kernel costs the same memory after a million requests as after a thousand.
/// </summary>
internal sealed class RecentIds(int capacity)
{
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Lock _lock = new();

    public void Add(string id)
    {
        lock (_lock)
        {
            if (!_set.Add(id))
            {
                return;
            }
            _order.Enqueue(id);
            if (_order.Count > capacity)
            {
                _set.Remove(_order.Dequeue());
            }
        }
    }

    public bool Contains(string id)
    {
        lock (_lock)
        {
            return _set.Contains(id);
        }
    }
}
