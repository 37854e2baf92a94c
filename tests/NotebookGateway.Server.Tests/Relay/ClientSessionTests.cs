using System.Text;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Tests.Relay;

/// <summary>A client session's outbox: bounded by messages and by bytes, oldest dropped first.</summary>
public sealed class ClientSessionTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Enqueue_OverTheByteBound_DropsTheOldestAndKeepsTheNewest()
    {
        var session = new ClientSession("s", capacity: 10_000, byteCapacity: 100_000, _time);
        var sent = new List<ChannelMessage>();
        for (int i = 0; i < 100; i++)
        {
            var message = new ChannelMessage(Stream(10_000), MessageChannel.IOPub);
            sent.Add(message);
            session.Enqueue(message);
        }

        Assert.InRange(session.PendingBytes, 1, 100_000);
        var kept = new List<ChannelMessage>();
        while (session.TryRead(out ChannelMessage? message))
        {
            kept.Add(message);
        }
        Assert.InRange(kept.Count, 8, 9); // about 10 KB each
        Assert.Equal(sent.TakeLast(kept.Count), kept); // the newest, in order
        Assert.Equal(0, session.PendingBytes);
    }

    [Fact]
    public void Enqueue_OneMessageBiggerThanTheBound_IsStillDelivered()
    {
        var session = new ClientSession("s", capacity: 10, byteCapacity: 1_000, _time);
        var big = new ChannelMessage(Stream(50_000), MessageChannel.IOPub);

        session.Enqueue(new ChannelMessage(Stream(10), MessageChannel.IOPub));
        session.Enqueue(big);

        Assert.True(session.TryRead(out ChannelMessage? only));
        Assert.Same(big, only);
        Assert.False(session.TryRead(out _));
    }

    [Fact]
    public void Enqueue_OverTheMessageCount_TheDroppedOnesLeaveTheByteCount()
    {
        var session = new ClientSession("s", capacity: 3, byteCapacity: 1 << 30, _time);
        for (int i = 0; i < 10; i++)
        {
            session.Enqueue(new ChannelMessage(Stream(100), MessageChannel.IOPub));
        }

        long pending = session.PendingBytes;
        var kept = new List<ChannelMessage>();
        while (session.TryRead(out ChannelMessage? message))
        {
            kept.Add(message);
        }
        Assert.Equal(3, kept.Count);
        Assert.Equal(kept.Sum(m => m.Bytes), pending);
    }

    private static JupyterMessage Stream(int bytes) => JupyterMessage.Create(
        MessageTypes.Stream, Encoding.UTF8.GetBytes("{\"name\":\"stdout\",\"text\":\"" + new string('x', bytes) + "\"}"), "kernel", "k");
}
