using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>Where a request came from: its ZMQ routing identities and socket, to send its reply (and input_request) back.</summary>
public sealed record Route(JupyterMessage Request, MessageChannel Channel);

/// <summary>
/// Requests relayed to the gateway and not yet answered, by msg_id. Bounded: past the capacity the oldest are forgotten
/// (their late replies are dropped), so a tool that never gets answers, or a kernel that never answers, cannot grow it.
/// </summary>
public sealed class RequestRoutes(int capacity)
{
    private readonly Dictionary<string, Route> _routes = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _routes.Count;
            }
        }
    }

    /// <summary>Forgotten because the table was full (for logs and tests).</summary>
    public long Evicted { get; private set; }

    public void Add(string msgId, Route route)
    {
        lock (_lock)
        {
            if (_routes.TryAdd(msgId, route))
            {
                _order.Enqueue(msgId);
            }
            else
            {
                _routes[msgId] = route; // a reused msg_id: the newest sender gets the reply
            }
            while (_routes.Count > capacity && _order.TryDequeue(out string? oldest))
            {
                if (_routes.Remove(oldest))
                {
                    Evicted++;
                }
            }
            if (_order.Count > 2 * capacity + 16)
            {
                // Answered ids linger in the queue; drop them so it stays proportional to what is pending.
                var live = _order.Where(_routes.ContainsKey).Distinct(StringComparer.Ordinal).ToList();
                _order.Clear();
                foreach (string id in live)
                {
                    _order.Enqueue(id);
                }
            }
        }
    }

    /// <summary>The route of a reply's request, removed (a request has one reply).</summary>
    public Route? Take(string? msgId)
    {
        if (msgId is null)
        {
            return null;
        }
        lock (_lock)
        {
            return _routes.Remove(msgId, out Route? route) ? route : null;
        }
    }

    /// <summary>The route of a request still running (an input_request's parent), left in place.</summary>
    public Route? Find(string? msgId)
    {
        if (msgId is null)
        {
            return null;
        }
        lock (_lock)
        {
            return _routes.GetValueOrDefault(msgId);
        }
    }

    /// <summary>Removes and returns every pending route (the kernel is gone: each request gets a local answer).</summary>
    public IReadOnlyList<Route> TakeAll()
    {
        lock (_lock)
        {
            var all = _order.Where(_routes.ContainsKey).Distinct(StringComparer.Ordinal).Select(id => _routes[id]).ToList();
            _routes.Clear();
            _order.Clear();
            return all;
        }
    }
}
