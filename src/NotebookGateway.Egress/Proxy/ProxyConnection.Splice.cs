using System.Buffers;
using System.Net.Sockets;
using NotebookGateway.Egress.Interop;

namespace NotebookGateway.Egress.Proxy;

internal sealed partial class ProxyConnection
{
    /// <summary>Most bytes moved out of the pipe by one splice call (what goes in is at most a buffer's worth).</summary>
    private const int SpliceChunk = 1024 * 1024;

    /// <summary>Most bytes copied through the gateway while the receiver's socket is full (the async send waits for room).</summary>
    private const int FallbackPiece = 16 * 1024;

    /// <summary>
    /// One direction without copying through the gateway: wait for data (zero-byte read), splice what is there into a
    /// pipe, count it against the cap, splice it on to the other socket. When the receiver is slow (its socket would
    /// block) the rest goes through a pooled buffer and an async send, so nothing ever blocks a thread.
    /// </summary>
    private async Task SplicePumpAsync(Socket from, Socket to, bool up, CancellationTokenSource stop, TimeSpan idle)
    {
        (int Read, int Write)? created = null;
        try
        {
            while (true)
            {
                await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, stop.Token).ConfigureAwait(false);
                // The pipe is made when the first bytes come (a connection that never carries any holds none).
                created ??= Splice.TryCreatePipe(listener.Proxy.Options.BufferBytes);
                if (created is not { } pipe)
                {
                    await PumpAsync(from, to, up, stop, idle).ConfigureAwait(false); // no pipe to be had: copy instead
                    return;
                }

                while (true)
                {
                    var moved = Move(from.SafeHandle, pipe.Write, listener.Proxy.Options.BufferBytes);
                    if (moved == 0)
                    {
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    if (moved < 0)
                    {
                        break; // nothing more for now: wait for data again
                    }

                    if (!listener.Account(up, (int)moved))
                    {
                        _capExceeded = true;
                        _cutReason = "cut: " + listener.CapText();
                        await stop.CancelAsync().ConfigureAwait(false);
                        return;
                    }

                    if (up)
                    {
                        _up += moved;
                    }
                    else
                    {
                        _down += moved;
                    }

                    await DrainAsync(pipe.Read, to, moved, stop.Token).ConfigureAwait(false);
                    stop.CancelAfter(idle);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            try
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
            }
        }
        finally
        {
            if (created is { } pipe)
            {
                _ = Splice.Close(pipe.Read);
                _ = Splice.Close(pipe.Write);
            }
        }
    }

    /// <summary>Sends <paramref name="count"/> bytes waiting in the pipe to <paramref name="to"/>.</summary>
    private static async Task DrainAsync(int pipeRead, Socket to, long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            var sent = MoveOut(pipeRead, to.SafeHandle, (int)Math.Min(count, SpliceChunk));
            if (sent > 0)
            {
                count -= sent;
                continue;
            }

            // The receiver's socket is full: take a small piece out of the pipe and let the socket send it when it can
            // (that waits for room without blocking a thread); the rest is spliced again once there is room.
            var size = (int)Math.Min(count, FallbackPiece);
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                var read = ReadPipe(pipeRead, buffer, size);
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                count -= read;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Socket → pipe: bytes moved, 0 at end of stream, -1 when nothing is there now.</summary>
    private static long Move(System.Runtime.InteropServices.SafeHandle socket, int pipeWrite, int max)
    {
        var added = false;
        socket.DangerousAddRef(ref added);
        try
        {
            while (true)
            {
                var n = Splice.SpliceFd((int)socket.DangerousGetHandle(), 0, pipeWrite, 0, (nuint)max, Splice.SPLICE_F_MOVE | Splice.SPLICE_F_NONBLOCK);
                if (n >= 0)
                {
                    return n;
                }

                var errno = Splice.LastError;
                if (errno == Splice.EINTR)
                {
                    continue;
                }

                return errno == Splice.EAGAIN ? -1 : throw new SocketException(errno);
            }
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>Pipe → socket: bytes moved, 0 when the socket would block.</summary>
    private static long MoveOut(int pipeRead, System.Runtime.InteropServices.SafeHandle socket, int max)
    {
        var added = false;
        socket.DangerousAddRef(ref added);
        try
        {
            while (true)
            {
                var n = Splice.SpliceFd(pipeRead, 0, (int)socket.DangerousGetHandle(), 0, (nuint)max, Splice.SPLICE_F_MOVE | Splice.SPLICE_F_NONBLOCK);
                if (n > 0)
                {
                    return n;
                }

                var errno = Splice.LastError;
                if (n < 0 && errno == Splice.EINTR)
                {
                    continue;
                }

                return n < 0 && errno == Splice.EAGAIN ? 0 : throw new SocketException(n < 0 ? errno : (int)SocketError.ConnectionReset);
            }
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    private static unsafe int ReadPipe(int pipeRead, byte[] buffer, int size)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Splice.Read(pipeRead, p, (nuint)size);
                if (n > 0)
                {
                    return (int)n;
                }

                if (n < 0 && Splice.LastError == Splice.EINTR)
                {
                    continue;
                }

                throw new IOException($"reading the relay pipe failed (errno {Splice.LastError})");
            }
        }
    }
}
