using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace NotebookGateway.Egress.Proxy;

/// <summary>
/// The request line and headers of one proxy request (HTTP/1.x), read from hostile input: bounded size, strict
/// syntax (CRLF lines, token names, no folding, no control characters), at most <see cref="MaxHeaders"/> headers.
/// </summary>
internal sealed record RequestHead(string Method, string Target, string Version, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public const int MaxHeaders = 100;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>
    /// Reads until the end of the head into <paramref name="buffer"/>; returns the head's length and how many bytes
    /// were read in all (the rest follows the head), or 0 read when the peer closed first.
    /// </summary>
    /// <exception cref="ProxyRefusal">The head is larger than the buffer (431).</exception>
    public static async Task<(int HeadLength, int Read)> ReadAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (true)
        {
            if (read == buffer.Length)
            {
                throw new ProxyRefusal(431, "Request Header Fields Too Large", $"the request head is larger than {buffer.Length} bytes");
            }

            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return (0, 0);
            }

            // Look again only where the terminator can newly appear.
            var from = Math.Max(0, read - 3);
            read += n;
            var at = buffer.Span[from..read].IndexOf(EndOfHead);
            if (at >= 0)
            {
                return (from + at + EndOfHead.Length, read);
            }
        }
    }

    /// <exception cref="ProxyRefusal">Not a well-formed HTTP/1.x request head (400).</exception>
    public static RequestHead Parse(ReadOnlySpan<byte> head)
    {
        foreach (var b in head)
        {
            if (b >= 0x80 || (b < 0x20 && b is not (byte)'\r' and not (byte)'\n' and not (byte)'\t') || b == 0x7F)
            {
                throw BadRequest("the request head contains bytes that are not printable ASCII");
            }
        }

        var text = Encoding.ASCII.GetString(head[..^4]);
        var lines = text.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !IsToken(requestLine[0]) || requestLine[1].Length == 0 || requestLine[1].Any(c => c is '\t' or '\r' or '\n'))
        {
            throw BadRequest("the request line is not 'METHOD target HTTP/1.x'");
        }

        if (requestLine[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            throw new ProxyRefusal(505, "HTTP Version Not Supported", $"only HTTP/1.0 and HTTP/1.1 are proxied (not '{requestLine[2]}')");
        }

        if (lines.Length - 1 > MaxHeaders)
        {
            throw new ProxyRefusal(431, "Request Header Fields Too Large", $"more than {MaxHeaders} header lines");
        }

        var headers = new List<KeyValuePair<string, string>>(lines.Length - 1);
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                throw BadRequest("a header line is not 'Name: value' (folded lines are refused)");
            }

            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        return new RequestHead(requestLine[0], requestLine[1], requestLine[2], headers);
    }

    /// <summary>Splits <c>host:port</c> (IPv6 in brackets); the port is required unless <paramref name="defaultPort"/> is given.</summary>
    public static (string Host, int Port) SplitAuthority(string authority, int? defaultPort)
    {
        string host;
        string? port = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < authority.Length && authority[close + 1] != ':'))
            {
                throw BadRequest($"'{authority}' is not host:port");
            }

            host = authority[..(close + 1)];
            port = close + 1 < authority.Length ? authority[(close + 2)..] : null;
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            port = colon < 0 ? null : authority[(colon + 1)..];
        }

        if (host.Length is 0 or > 255 || host.Any(c => c is '@' or '/' or '\\' or ' ' or '%' or '?' or '#'))
        {
            throw BadRequest($"'{authority}' does not name a host");
        }

        if (port is null)
        {
            return defaultPort is { } d ? (host, d) : throw BadRequest($"'{authority}' has no port");
        }

        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535
            ? (host, p)
            : throw BadRequest($"'{authority}' has no valid port");
    }

    private static bool IsToken(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    private static ProxyRefusal BadRequest(string why) => new(400, "Bad Request", why);
}

/// <summary>A request the proxy answers itself with <see cref="Status"/> and a text body saying why.</summary>
internal sealed class ProxyRefusal(int status, string statusText, string reason) : Exception(reason)
{
    public int Status { get; } = status;

    public string StatusText { get; } = statusText;

    /// <summary>A refusal by the policy (counted as <c>denied</c>; other refusals are malformed or over a limit).</summary>
    public bool ByPolicy { get; init; }
}
