using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NotebookGateway.Egress.Policies;

namespace NotebookGateway.Egress.Proxy;

/// <summary>
/// One connection from a sandbox: reads its request head (bounded, with a deadline), decides by the policy, resolves
/// an allowed name itself, checks every address it would connect to, connects, then relays bytes both ways within
/// the kernel's caps. <c>CONNECT host:port</c> opens a tunnel (TLS passes through untouched); a plain HTTP request in
/// absolute form is forwarded once (<c>Connection: close</c>) with its <c>Host</c> checked against the target.
/// Anything refused gets an HTTP answer naming the policy, never silence.
/// </summary>
internal sealed partial class ProxyConnection(EgressListener listener, Socket client)
{
    private readonly EgressPolicy _policy = listener.Policy;
    private string _method = "";
    private string _destination = "";
    private string? _address;
    private long _up;
    private long _down;
    private string? _cutReason;
    private bool _capExceeded;

    public async Task RunAsync()
    {
        var options = listener.Proxy.Options;
        byte[]? headBuffer = ArrayPool<byte>.Shared.Rent(options.MaxRequestHeadBytes);
        Socket? upstream = null;
        try
        {
            using var headDeadline = CancellationTokenSource.CreateLinkedTokenSource(listener.Stopping);
            headDeadline.CancelAfter(TimeSpan.FromSeconds(options.RequestHeadTimeoutSeconds));
            int headLength, read;
            try
            {
                (headLength, read) = await RequestHead.ReadAsync(client, headBuffer.AsMemory(0, options.MaxRequestHeadBytes), headDeadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!listener.Stopping.IsCancellationRequested)
            {
                throw new ProxyRefusal(408, "Request Timeout", $"no complete request head within {options.RequestHeadTimeoutSeconds} s");
            }

            if (read == 0)
            {
                return; // closed without asking for anything: nothing was decided
            }

            var head = RequestHead.Parse(headBuffer.AsSpan(0, headLength));
            _method = head.Method;
            var (host, port, forwardedHead) = Target(head);
            _destination = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";
            if (listener.CapReached)
            {
                throw new ProxyRefusal(403, "Forbidden", listener.CapText()) { ByPolicy = true };
            }

            if (!_policy.AllowsTarget(host, port))
            {
                throw new ProxyRefusal(403, "Forbidden", $"{_destination} is not on the policy's list") { ByPolicy = true };
            }

            using var connectDeadline = CancellationTokenSource.CreateLinkedTokenSource(listener.Stopping);
            connectDeadline.CancelAfter(TimeSpan.FromSeconds(options.ConnectTimeoutSeconds));
            var addresses = await ResolveAsync(host, connectDeadline.Token).ConfigureAwait(false);
            var usable = addresses.Where(a => _policy.AllowsConnect(a, port)).ToList();
            if (usable.Count == 0)
            {
                throw new ProxyRefusal(403, "Forbidden",
                    $"{host} resolves only to addresses that are not public ({string.Join(", ", addresses)}) and that the policy does not list itself")
                { ByPolicy = true };
            }

            upstream = await ConnectAsync(usable, port, connectDeadline.Token).ConfigureAwait(false);
            listener.Proxy.Metrics.Count(EgressRecord.Allowed, _policy.Name);
            var leftover = headBuffer.AsMemory(headLength, read - headLength);
            if (forwardedHead is null)
            {
                await client.SendAsync("HTTP/1.1 200 Connection established\r\nProxy-Agent: NotebookGateway\r\n\r\n"u8.ToArray(), SocketFlags.None, listener.Stopping).ConfigureAwait(false);
            }
            else if (!await ForwardAsync(upstream, forwardedHead, listener.Stopping).ConfigureAwait(false))
            {
                return;
            }

            if (leftover.Length > 0 && !await ForwardAsync(upstream, leftover, listener.Stopping).ConfigureAwait(false))
            {
                return;
            }

            ArrayPool<byte>.Shared.Return(headBuffer);
            headBuffer = null; // the relay rents its own buffers while bytes move
            await RelayAsync(upstream, TimeSpan.FromSeconds(options.IdleTimeoutSeconds)).ConfigureAwait(false);
        }
        catch (ProxyRefusal refusal)
        {
            await RefuseAsync(refusal).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The sandbox went away, or the gateway is stopping: recorded below if anything was decided.
            _cutReason ??= upstream is null ? null : "connection error: " + ex.Message;
        }
        finally
        {
            upstream?.Dispose();
            client.Dispose();
            if (headBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(headBuffer);
            }
        }

        if (upstream is not null)
        {
            Publish(EgressRecord.Allowed, 200, _cutReason);
        }
    }

    /// <summary>
    /// Host and port of the request, and for plain HTTP the head to send upstream (origin-form target, proxy headers
    /// dropped, <c>Connection: close</c>); null for CONNECT.
    /// </summary>
    private static (string Host, int Port, byte[]? Forwarded) Target(RequestHead head)
    {
        if (head.Method == "CONNECT")
        {
            var (host, port) = RequestHead.SplitAuthority(head.Target, defaultPort: null);
            return (host, port, null);
        }

        const string Http = "http://";
        if (!head.Target.StartsWith(Http, StringComparison.OrdinalIgnoreCase))
        {
            throw new ProxyRefusal(400, "Bad Request", head.Target.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                ? "https goes through CONNECT"
                : "not a proxy request (expected CONNECT host:port or an absolute http:// URL)");
        }

        var rest = head.Target[Http.Length..];
        var end = rest.IndexOfAny(['/', '?', '#']);
        var authority = end < 0 ? rest : rest[..end];
        var path = end < 0 ? "/" : rest[end..];
        if (path.StartsWith('?'))
        {
            path = "/" + path;
        }

        var target = RequestHead.SplitAuthority(authority, defaultPort: 80);
        if (head.Header("Host") is { } hostHeader && !SameAuthority(RequestHead.SplitAuthority(hostHeader, defaultPort: 80), target))
        {
            throw new ProxyRefusal(400, "Bad Request", $"the Host header '{hostHeader}' is not the request's target {authority}");
        }

        var forwarded = new StringBuilder();
        forwarded.Append(head.Method).Append(' ').Append(path).Append(' ').Append(head.Version).Append("\r\n");
        if (head.Header("Host") is null)
        {
            forwarded.Append("Host: ").Append(authority).Append("\r\n");
        }

        foreach (var (name, value) in head.Headers)
        {
            if (name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            forwarded.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        forwarded.Append("Connection: close\r\n\r\n");
        return (target.Host, target.Port, Encoding.ASCII.GetBytes(forwarded.ToString()));
    }

    private static bool SameAuthority((string Host, int Port) a, (string Host, int Port) b) =>
        a.Port == b.Port && string.Equals(a.Host.TrimEnd('.'), b.Host.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    /// <summary>The addresses of <paramref name="host"/>: itself if literal, else the gateway's resolver's answer.</summary>
    private static async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (EgressPolicy.TryParseLiteral(host) is { } literal)
        {
            return [literal];
        }

        try
        {
            var found = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return found.Select(AddressRanges.Normalize).Distinct().ToList();
        }
        catch (SocketException ex)
        {
            throw new ProxyRefusal(502, "Bad Gateway", $"{host} could not be resolved ({ex.SocketErrorCode})");
        }
        catch (OperationCanceledException)
        {
            throw new ProxyRefusal(504, "Gateway Timeout", $"resolving {host} took too long");
        }
    }

    /// <summary>Connects to the first address that answers: exactly the addresses checked, never a new lookup.</summary>
    private async Task<Socket> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken cancellationToken)
    {
        string? lastError = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                _address = address.ToString();
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                lastError = $"{address}: {ex.SocketErrorCode}";
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                throw new ProxyRefusal(504, "Gateway Timeout", $"connecting to {_destination} took too long");
            }
        }

        throw new ProxyRefusal(502, "Bad Gateway", $"could not connect to {_destination} ({lastError})");
    }
}
