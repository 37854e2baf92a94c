using System.Runtime.CompilerServices;
using System.Threading.Channels;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Zmq;

/// <summary>The receive side: the bounded queue between the reactor and readers (by count and by bytes), and its pausing.</summary>
public sealed partial class ZmqSocket
{
    /// <summary>Waits for the next message. Cancellation leaves the queue untouched.</summary>
    public async ValueTask<ZmqMessage> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (TryReceive(out ZmqMessage? message))
        {
            return message;
        }
        while (true)
        {
            try
            {
                if (!await _received.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new ObjectDisposedException("The ZeroMQ socket is closed.", _closeReason);
                }
            }
            catch (ChannelClosedException ex)
            {
                throw new ObjectDisposedException(nameof(ZmqSocket), ex);
            }
            if (TryReceive(out message))
            {
                return message;
            }
        }
    }

    /// <summary>Reads messages until the socket is closed or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<ZmqMessage> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await _received.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryReceive(out ZmqMessage? message))
            {
                yield return message;
            }
        }
    }

    public bool TryReceive([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ZmqMessage? message)
    {
        if (!_received.Reader.TryRead(out message))
        {
            return false;
        }
        Interlocked.Add(ref _queuedBytes, -message.TotalBytes); // before the flag: a paused reactor then sees the room
        // The reactor stopped reading because the queue was full: there is room again.
        if (Volatile.Read(ref _receivePaused) == 1 && Interlocked.Exchange(ref _receivePaused, 0) == 1)
        {
            Reactor.Post(new InvokeCommand<bool>(() =>
            {
                ResumeReceiving();
                return true;
            }));
        }
        return true;
    }

    private void ResumeReceiving()
    {
        if (_stash is not null)
        {
            if (!TryDeliver(_stash))
            {
                return;
            }
            _stash = null;
        }
        Reactor.MarkReady(this);
    }

    private bool TryDeliver(ZmqMessage message)
    {
        if (TryEnqueue(message))
        {
            return true;
        }
        // Pause first, then retry: a reader that emptied a slot in between either sees the flag or left room.
        Volatile.Write(ref _receivePaused, 1);
        if (TryEnqueue(message))
        {
            Volatile.Write(ref _receivePaused, 0);
            return true;
        }
        return false;
    }

    /// <summary>Queues a message within both bounds, the count (the channel's) and the bytes.</summary>
    private bool TryEnqueue(ZmqMessage message)
    {
        long size = message.TotalBytes;
        long queued = Interlocked.Read(ref _queuedBytes);
        if (_receiveQueueBytes > 0 && queued > 0 && queued + size > _receiveQueueBytes)
        {
            return false;
        }
        Interlocked.Add(ref _queuedBytes, size);
        if (_received.Writer.TryWrite(message))
        {
            return true;
        }
        Interlocked.Add(ref _queuedBytes, -size);
        return false;
    }
}
