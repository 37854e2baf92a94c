using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NotebookGateway.Egress.Interop;
using NotebookGateway.Egress.Policies;

namespace NotebookGateway.Egress.Proxy;

/// <summary>
/// The proxy of one kernel run: accepts on its Unix socket (and on the loopback port it may open inside the run's
/// container, <see cref="ListenInNamespaceAsync"/>), admits a connection only within the policy's limits
/// (open connections, connections per minute; the rest get 429 at once without being read), and keeps the run's byte
/// totals against the caps. Disposing it closes its sockets and every connection, and deletes the socket file.
/// </summary>
public sealed class EgressListener : IAsyncDisposable
{
    private readonly EgressProxy _proxy;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly Lock _rateGate = new();
    private readonly Lock _socketsGate = new();
    private readonly List<(Socket Socket, Task AcceptLoop)> _sockets = [];
    private long _nextConnection;
    private int _open;
    private long _bytesUp;
    private long _bytesDown;
    private double _tokens;
    private long _tokensAt;
    private int _capReported;

    private EgressListener(EgressProxy proxy, string socketPath, string kernelId, EgressPolicy policy)
    {
        _proxy = proxy;
        SocketPath = socketPath;
        KernelId = kernelId;
        Policy = policy;
        _tokens = policy.Limits.ConnectionsPerMinute;
        _tokensAt = proxy.Time.GetTimestamp();
    }

    public string SocketPath { get; }

    public string KernelId { get; }

    public EgressPolicy Policy { get; }

    public long BytesUp => Interlocked.Read(ref _bytesUp);

    public long BytesDown => Interlocked.Read(ref _bytesDown);

    /// <summary>Connections being served now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    internal EgressProxy Proxy => _proxy;

    internal CancellationToken Stopping => _stop.Token;

    internal bool CapReached => BytesUp > Policy.Limits.MaxBytesUp || BytesDown > Policy.Limits.MaxBytesDown
        || (Policy.Limits.MaxBytesUp == 0 && Policy.Limits.MaxBytesDown == 0);

    internal static EgressListener Start(EgressProxy proxy, string socketPath, string kernelId, EgressPolicy policy)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, (UnixFileMode)0b110_110_110);
            socket.Listen(1024); // a burst of connects waits in the backlog instead of failing with EAGAIN
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var listener = new EgressListener(proxy, socketPath, kernelId, policy);
        listener.Accept(socket);
        return listener;
    }

    /// <summary>
    /// Also listens on <c>127.0.0.1:</c><paramref name="port"/> inside the network namespace at
    /// <paramref name="namespacePath"/> (the run's container), so that its programs reach the proxy on their own
    /// loopback with no relay in between.
    /// </summary>
    /// <returns>The bound address (in that namespace).</returns>
    /// <exception cref="IOException">The namespace could not be joined.</exception>
    /// <exception cref="SocketException">The port could not be bound there.</exception>
    public async Task<IPEndPoint> ListenInNamespaceAsync(string namespacePath, int port)
    {
        var socket = await NetworkNamespace.CreateSocketInAsync(namespacePath, () =>
        {
            var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                tcp.Listen(1024);
                return tcp;
            }
            catch
            {
                tcp.Dispose();
                throw;
            }
        }).ConfigureAwait(false);
        Accept(socket);
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        EgressLog.ListeningInNamespace(_proxy.Logger, KernelId, Policy.Name, bound.Port, namespacePath);
        return bound;
    }

    private void Accept(Socket socket)
    {
        lock (_socketsGate)
        {
            if (_stop.IsCancellationRequested)
            {
                socket.Dispose();
                throw new ObjectDisposedException(nameof(EgressListener));
            }

            _sockets.Add((socket, Task.Run(() => AcceptLoopAsync(socket))));
        }
    }

    /// <summary>Adds relayed bytes; false when the direction's cap is now exceeded (the connection is cut).</summary>
    internal bool Account(bool up, int bytes)
    {
        _proxy.Metrics.Relayed(up ? "up" : "down", bytes);
        return up
            ? Interlocked.Add(ref _bytesUp, bytes) <= Policy.Limits.MaxBytesUp
            : Interlocked.Add(ref _bytesDown, bytes) <= Policy.Limits.MaxBytesDown;
    }

    /// <summary>True the first time a cap is reached in this run (the cell is told once).</summary>
    internal bool FirstCapReport() => Interlocked.Exchange(ref _capReported, 1) == 0;

    internal string CapText() =>
        $"this kernel's byte cap of the network policy '{Policy.Name}' is reached ({Describe(BytesDown)} of {Describe(Policy.Limits.MaxBytesDown)} received, "
        + $"{Describe(BytesUp)} of {Describe(Policy.Limits.MaxBytesUp)} sent)";

    internal static string Describe(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024.0 * 1024):0.#} MiB" : $"{bytes} bytes";

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        (Socket Socket, Task AcceptLoop)[] sockets;
        lock (_socketsGate)
        {
            _stop.Cancel();
            sockets = [.. _sockets];
        }

        foreach (var (socket, _) in sockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(sockets.Select(s => s.AcceptLoop)).ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(Socket socket)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                EgressLog.AcceptFailed(_proxy.Logger, KernelId, ex);
                continue; // EMFILE and the like: the next accept may succeed once connections close
            }

            if (Admit() is { } refusal)
            {
                RefuseAtOnce(client, refusal);
                continue;
            }

            Interlocked.Increment(ref _open);
            _proxy.Metrics.Opened();
            var id = Interlocked.Increment(ref _nextConnection);
            _connections[id] = ServeAsync(id, client);
        }
    }

    private async Task ServeAsync(long id, Socket client)
    {
        await Task.Yield(); // off the accept loop
        try
        {
            await new ProxyConnection(this, client).RunAsync().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
            _proxy.Metrics.Closed();
            _connections.TryRemove(id, out _);
        }
    }

    /// <summary>Null when a new connection is within the limits; else the 429 it gets.</summary>
    private string? Admit()
    {
        var limits = Policy.Limits;
        if (Volatile.Read(ref _open) >= limits.MaxConnections)
        {
            return $"this kernel already has {limits.MaxConnections} proxied connections open (the limit of the policy)";
        }

        lock (_rateGate)
        {
            var now = _proxy.Time.GetTimestamp();
            var elapsed = _proxy.Time.GetElapsedTime(_tokensAt, now).TotalSeconds;
            _tokensAt = now;
            _tokens = Math.Min(limits.ConnectionsPerMinute, _tokens + (elapsed * limits.ConnectionsPerMinute / 60.0));
            if (_tokens < 1)
            {
                return $"this kernel opened more than {limits.ConnectionsPerMinute} proxied connections per minute (the limit of the policy)";
            }

            _tokens -= 1;
            return null;
        }
    }

    /// <summary>A 429 written without waiting (the socket's buffer is empty, so it fits), then closed.</summary>
    private void RefuseAtOnce(Socket client, string reason)
    {
        using (client)
        {
            try
            {
                client.Blocking = false;
                client.Send(ProxyConnection.Response(429, "Too Many Requests", ProxyConnection.RefusalBody("", "", Policy, reason)), SocketFlags.None, out _);
            }
            catch (SocketException)
            {
            }
        }

        _proxy.Publish(new EgressRecord
        {
            Time = _proxy.Time.GetUtcNow(),
            KernelId = KernelId,
            Policy = Policy.Name,
            Decision = EgressRecord.Denied,
            Method = "",
            Destination = "",
            Reason = reason,
            Status = 429,
        });
    }

    internal static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
