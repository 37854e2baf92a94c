namespace NotebookGateway.Zmq;

/// <summary>One multipart message: all its frames travel together, atomically.</summary>
public sealed class ZmqMessage
{
    private readonly ReadOnlyMemory<byte>[] _frames;

    public ZmqMessage(IEnumerable<ReadOnlyMemory<byte>> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        _frames = frames.ToArray();
        if (_frames.Length == 0)
        {
            throw new ArgumentException("A message needs at least one frame.", nameof(frames));
        }
    }

    public ZmqMessage(params ReadOnlyMemory<byte>[] frames) : this((IEnumerable<ReadOnlyMemory<byte>>)frames)
    {
    }

    internal ZmqMessage(List<ReadOnlyMemory<byte>> frames, bool _) => _frames = [.. frames];

    public IReadOnlyList<ReadOnlyMemory<byte>> Frames => _frames;

    public int Count => _frames.Length;

    public ReadOnlyMemory<byte> this[int index] => _frames[index];

    public long TotalBytes
    {
        get
        {
            long total = 0;
            foreach (ReadOnlyMemory<byte> frame in _frames)
            {
                total += frame.Length;
            }
            return total;
        }
    }

    public static ZmqMessage FromStrings(params string[] frames) =>
        new(frames.Select(f => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(f)));
}
