using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using NotebookGateway.Egress.Policies;

namespace NotebookGateway.Egress.Proxy;

internal sealed partial class ProxyConnection
{
    /// <summary>
    /// Bytes both ways until both sides have finished (a half-close is passed on), a cap is exceeded, no byte moved
    /// for <paramref name="idle"/>, or the gateway stops.
    /// </summary>
    private async Task RelayAsync(Socket upstream, TimeSpan idle)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(listener.Stopping);
        stop.CancelAfter(idle);
        var zeroCopy = listener.Proxy.Options.ZeroCopy;
        await Task.WhenAll(
            zeroCopy ? SplicePumpAsync(client, upstream, up: true, stop, idle) : PumpAsync(client, upstream, up: true, stop, idle),
            zeroCopy ? SplicePumpAsync(upstream, client, up: false, stop, idle) : PumpAsync(upstream, client, up: false, stop, idle)).ConfigureAwait(false);
        if (_cutReason is null && stop.IsCancellationRequested && !listener.Stopping.IsCancellationRequested)
        {
            _cutReason = $"idle for {idle.TotalSeconds:0} s";
        }
    }

    /// <summary>
    /// One direction. Waits for data with a zero-byte read and rents a buffer only while bytes move, so an idle
    /// connection holds no buffer (the gateway's memory per open connection stays small with large buffers).
    /// </summary>
    private async Task PumpAsync(Socket from, Socket to, bool up, CancellationTokenSource stop, TimeSpan idle)
    {
        var size = listener.Proxy.Options.BufferBytes;
        try
        {
            while (true)
            {
                await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, stop.Token).ConfigureAwait(false);
                var buffer = ArrayPool<byte>.Shared.Rent(size);
                try
                {
                    do
                    {
                        var n = await from.ReceiveAsync(buffer.AsMemory(0, size), SocketFlags.None, stop.Token).ConfigureAwait(false);
                        if (n == 0)
                        {
                            to.Shutdown(SocketShutdown.Send);
                            return;
                        }

                        if (!listener.Account(up, n))
                        {
                            _capExceeded = true;
                            _cutReason = "cut: " + listener.CapText();
                            await stop.CancelAsync().ConfigureAwait(false);
                            return;
                        }

                        if (up)
                        {
                            _up += n;
                        }
                        else
                        {
                            _down += n;
                        }

                        await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop.Token).ConfigureAwait(false);
                        stop.CancelAfter(idle);
                    }
                    while (from.Available > 0);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side failed or the connection is being cut: end the other direction too.
            try
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Writes bytes upstream, counted against the kernel's cap; false when the cap cut the connection.</summary>
    private async Task<bool> ForwardAsync(Socket upstream, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (!listener.Account(up: true, bytes.Length))
        {
            _capExceeded = true;
            _cutReason = "cut: " + listener.CapText();
            return false;
        }

        _up += bytes.Length;
        await upstream.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The refusal as an HTTP answer (bounded wait: the body is small and the sandbox may not read), then recorded.</summary>
    private async Task RefuseAsync(ProxyRefusal refusal)
    {
        var body = RefusalBody(_method, _destination, _policy, refusal.Message);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(listener.Stopping);
            deadline.CancelAfter(TimeSpan.FromSeconds(5));
            await client.SendAsync(Response(refusal.Status, refusal.StatusText, body), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        Publish(EgressRecord.Denied, refusal.Status, refusal.Message);
    }

    private void Publish(string decision, int status, string? reason)
    {
        var proxy = listener.Proxy;
        var capExceeded = _capExceeded && listener.FirstCapReport();
        proxy.Publish(new EgressRecord
        {
            Time = proxy.Time.GetUtcNow(),
            KernelId = listener.KernelId,
            Policy = _policy.Name,
            Decision = decision,
            Method = _method,
            Destination = _destination,
            Address = _address,
            Reason = reason,
            Status = status,
            BytesUp = _up,
            BytesDown = _down,
            CapExceeded = capExceeded,
        });
    }

    /// <summary>What a refused client reads: who refused, what, under which policy, why, and what is allowed.</summary>
    internal static string RefusalBody(string method, string destination, EgressPolicy policy, string reason)
    {
        var what = destination.Length == 0 ? "the request" : $"{method} {destination}";
        return $"NotebookGateway egress proxy: {what} refused by network policy '{policy.Name}': {reason}.\n"
            + $"Allowed destinations: {policy.Describe()} (default ports {string.Join(",", policy.DefaultPorts.Order())}).\n";
    }

    internal static byte[] Response(int status, string statusText, string body)
    {
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var head = string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status} {statusText}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {bodyBytes.Length}\r\nConnection: close\r\nProxy-Agent: NotebookGateway\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(head), .. bodyBytes];
    }
}
