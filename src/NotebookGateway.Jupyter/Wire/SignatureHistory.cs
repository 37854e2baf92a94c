namespace NotebookGateway.Jupyter.Wire;

/// <summary>A bounded set of recently seen signatures; the oldest is forgotten first.</summary>
internal sealed class SignatureHistory(int capacity)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Lock _lock = new();

    /// <summary>False when the signature was already seen (a replay).</summary>
    public bool TryAdd(ReadOnlySpan<byte> signature)
    {
        if (capacity <= 0 || signature.IsEmpty)
        {
            return true;
        }
        string key = System.Text.Encoding.ASCII.GetString(signature);
        lock (_lock)
        {
            if (!_seen.Add(key))
            {
                return false;
            }
            _order.Enqueue(key);
            if (_order.Count > capacity)
            {
                _seen.Remove(_order.Dequeue());
            }
            return true;
        }
    }
}
