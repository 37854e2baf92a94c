using System.Runtime.CompilerServices;
using System.Text;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.WebSocket;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Hubs;

/// <summary>
/// One <c>Subscribe</c> stream attached to a client session of <see cref="KernelChannels"/>: drains the session's outbox
/// as Jupyter websocket JSON strings. Closing it (a newer stream took the session, or the kernel is gone) ends the
/// stream normally; the session keeps buffering for the next Subscribe with the same clientId.
/// </summary>
public sealed class HubClientConnection : IClientConnection, IDisposable
{
    private readonly CancellationTokenSource _closed = new();

    public async Task CloseAsync(string reason)
    {
        try
        {
            await _closed.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The stream already ended.
        }
    }

    public void Dispose() => _closed.Dispose();

    /// <summary>The session's messages until the stream is cancelled (client gone), closed, or the session completes.</summary>
    public async IAsyncEnumerable<string> ReadAsync(ClientSession session, [EnumeratorCancellation] CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, _closed.Token);
        while (await WaitToReadAsync(session, linked.Token).ConfigureAwait(false))
        {
            // Checked before every read: after a close, what is left belongs to the stream that replaced this one.
            while (!linked.IsCancellationRequested && session.TryRead(out ChannelMessage? message))
            {
                yield return Encode(message);
            }
        }
    }

    /// <summary>The JSON text /api/kernels/{id}/channels would send for this message (encoded once for every stream).</summary>
    public static string Encode(ChannelMessage message) => message.EncodeJsonText();

    /// <summary>False when the stream should end; a cancellation is an end, not an error (SignalR would report one to the client).</summary>
    private static async Task<bool> WaitToReadAsync(ClientSession session, CancellationToken cancellationToken)
    {
        try
        {
            return await session.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
