using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Egress.Options;
using NotebookGateway.Egress.Proxy;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace NotebookGateway.Egress.Tests.Proxy;

/// <summary>The proxy on a real Unix socket against real loopback servers (the sandbox side is played by the test).</summary>
public sealed class EgressProxyTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("nbgw-egress-").FullName;
    private readonly List<EgressRecord> _records = [];
    private EgressTestServer _server = null!;
    private EgressListener? _listener;

    public async Task InitializeAsync() => _server = await EgressTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }

        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connect_Allowed_TunnelsBytesBothWays_AndRecordsThem(bool zeroCopy)
    {
        var listener = Listen(o => o.ZeroCopy = zeroCopy);
        using var client = await ConnectAsync(listener);

        await SendAsync(client, $"CONNECT 127.0.0.1:{_server.HttpPort} HTTP/1.1\r\nHost: 127.0.0.1:{_server.HttpPort}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 Connection established\r\n", await ReadHeadAsync(client), StringComparison.Ordinal);
        // Inside the tunnel: a plain request straight to the server.
        await SendAsync(client, $"GET /hello HTTP/1.1\r\nHost: tunnel\r\nConnection: close\r\n\r\n");
        var answer = await ReadToEndAsync(client);

        Assert.Contains($"{_server.Token} host=tunnel", answer, StringComparison.Ordinal);
        await listener.DisposeAsync();
        var record = Assert.Single(_records);
        Assert.Equal((EgressRecord.Allowed, "CONNECT", $"127.0.0.1:{_server.HttpPort}", "127.0.0.1"), (record.Decision, record.Method, record.Destination, record.Address));
        Assert.True(record.BytesUp > 0 && record.BytesDown >= Encoding.ASCII.GetByteCount(answer), $"{record.BytesUp} up, {record.BytesDown} down");
    }

    [Fact]
    public async Task PlainHttp_IsForwardedInOriginFormWithConnectionClose()
    {
        var listener = Listen();
        using var client = await ConnectAsync(listener);

        await SendAsync(client, $"GET http://127.0.0.1:{_server.HttpPort}/hello HTTP/1.1\r\nHost: 127.0.0.1:{_server.HttpPort}\r\nProxy-Connection: keep-alive\r\n\r\n");
        var answer = await ReadToEndAsync(client); // ends because the upstream was told Connection: close

        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        Assert.Contains($"{_server.Token} host=127.0.0.1:{_server.HttpPort}", answer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LargeDownload_ArrivesWhole_ThroughEitherRelay(bool zeroCopy)
    {
        var listener = Listen(o => o.ZeroCopy = zeroCopy);
        using var client = await ConnectAsync(listener);
        const long Size = 32L * 1024 * 1024;

        await SendAsync(client, $"GET http://127.0.0.1:{_server.HttpPort}/bytes/{Size} HTTP/1.1\r\nHost: 127.0.0.1:{_server.HttpPort}\r\n\r\n");
        var head = await ReadHeadAsync(client);
        long body = 0;
        var buffer = new byte[1 << 16];
        using var cts = new CancellationTokenSource(TestTimeouts.Long);
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            Assert.True(buffer.AsSpan(0, n).IndexOfAnyExcept((byte)0) < 0, "the server sends zeros only");
            body += n;
        }

        Assert.Contains($"Content-Length: {Size}", head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Size, body);
        Assert.True(listener.BytesDown >= Size);
    }

    [Fact]
    public async Task Refusals_AreHttpAnswersNamingThePolicy()
    {
        var listener = Listen();

        var unlisted = await ExchangeAsync(listener, "CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 403 Forbidden", unlisted, StringComparison.Ordinal);
        Assert.Contains("NotebookGateway egress proxy: CONNECT 127.0.0.1:1 refused by network policy 'test': 127.0.0.1:1 is not on the policy's list.", unlisted, StringComparison.Ordinal);
        Assert.Contains($"Allowed destinations: 127.0.0.1:{_server.HttpPort},localhost:{_server.HttpsPort}", unlisted, StringComparison.Ordinal);

        // Listed by name only: it resolves to loopback, which this port does not list.
        var loopbackName = await ExchangeAsync(listener, $"CONNECT localhost:{_server.HttpsPort} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 403 Forbidden", loopbackName, StringComparison.Ordinal);
        Assert.Contains("resolves only to addresses that are not public", loopbackName, StringComparison.Ordinal);

        Assert.StartsWith("HTTP/1.1 400", await ExchangeAsync(listener, $"GET https://127.0.0.1:{_server.HttpPort}/ HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", await ExchangeAsync(listener, "CONNECT [::1 HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", await ExchangeAsync(listener, "CONNECT user@127.0.0.1:80 HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", await ExchangeAsync(listener, "GET\thttp://x/ HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", await ExchangeAsync(listener, "G\u00e9T http://x/ HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        Assert.Equal(0, _server.Requests);
        Assert.Equal(7, _records.Count(r => r.Decision == EgressRecord.Denied));
    }

    [Fact]
    public async Task SilentClient_GetsRequestTimeout_AtTheHeadDeadline()
    {
        var listener = Listen(o => o.RequestHeadTimeoutSeconds = 1);
        using var client = await ConnectAsync(listener);
        await SendAsync(client, "CONNECT 127.0.0.1:"); // and nothing more

        Assert.StartsWith("HTTP/1.1 408 Request Timeout", await ReadToEndAsync(client), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionRate_OverTheLimit_Is429WithoutReadingTheRequest()
    {
        var listener = Listen(configure: null, perMinute: 2);

        var answers = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            answers.Add(await ExchangeAsync(listener, "CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n"));
        }

        for (var i = 0; i < 2; i++)
        {
            using var refused = await ConnectAsync(listener); // answered before it sends anything
            answers.Add(await ReadToEndAsync(refused));
        }

        Assert.Equal(["403", "403", "429", "429"], answers.Select(a => a.Split(' ')[1]));
        Assert.Contains("more than 2 proxied connections per minute", answers[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_ClosesOpenTunnels_AndRemovesTheSocket()
    {
        var listener = Listen();
        Assert.Equal((UnixFileMode)0b110_110_110, File.GetUnixFileMode(listener.SocketPath));
        using var client = await ConnectAsync(listener);
        await SendAsync(client, $"CONNECT 127.0.0.1:{_server.HttpPort} HTTP/1.1\r\n\r\n");
        await ReadHeadAsync(client);

        await listener.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Short);

        Assert.False(File.Exists(listener.SocketPath));
        Assert.Equal("", await ReadToEndAsync(client));
        Assert.Equal(0, listener.OpenConnections);
    }

    [Fact]
    public async Task ListenInNamespace_AcceptsOnThatNamespacesLoopback_WithTheSameAdmission_AndDisposeClosesThePort()
    {
        var listener = Listen(configure: null, perMinute: 1);
        using var holder = await NamespaceHolder.StartAsync();
        var endpoint = await listener.ListenInNamespaceAsync(holder.NamespacePath, port: 0);
        Assert.Equal(IPAddress.Loopback, endpoint.Address);
        string[] curl = ["curl", "-sS", "--max-time", "20", "-x", $"http://127.0.0.1:{endpoint.Port}", $"http://127.0.0.1:{_server.HttpPort}/hello"];

        // A client in that namespace (where the test server does not exist) gets the answer through the proxy.
        var (exit, output) = await holder.RunInsideAsync(curl);
        Assert.Equal((0, $"{_server.Token} host=127.0.0.1:{_server.HttpPort}"), (exit, output));

        // One connection per minute over both sockets together: the Unix socket's next one is refused.
        using (var refused = await ConnectAsync(listener))
        {
            Assert.StartsWith("HTTP/1.1 429", await ReadToEndAsync(refused), StringComparison.Ordinal);
        }

        await listener.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Short);
        (exit, output) = await holder.RunInsideAsync(curl);
        Assert.Equal(7, exit); // curl: could not connect
        Assert.Contains("Failed to connect", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListenInNamespace_TheGatewaysOwn_IsRefused()
    {
        var listener = Listen();

        var refused = await Assert.ThrowsAsync<IOException>(() => listener.ListenInNamespaceAsync($"/proc/{Environment.ProcessId}/ns/net", port: 0));

        Assert.Contains("the gateway's own network namespace", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListenInNamespace_OfAFileThatIsNoNetworkNamespace_FailsWithTheReason()
    {
        var listener = Listen();
        var file = Path.Combine(_directory, "not-a-namespace");
        await File.WriteAllTextAsync(file, "");

        var failed = await Assert.ThrowsAsync<IOException>(() => listener.ListenInNamespaceAsync(file, port: 0));

        Assert.Contains("joining the network namespace", failed.Message, StringComparison.Ordinal);
    }

    private EgressListener Listen(Action<EgressOptions>? configure = null, int? perMinute = null)
    {
        var options = new EgressOptions
        {
            Policies =
            {
                ["test"] = new EgressPolicyOptions
                {
                    Destinations = [$"127.0.0.1:{_server.HttpPort}", $"localhost:{_server.HttpsPort}"],
                    ConnectionsPerMinute = perMinute,
                },
            },
        };
        configure?.Invoke(options);
        var proxy = new EgressProxy(MsOptions.Create(options), new EgressMetrics(), TimeProvider.System, NullLogger<EgressProxy>.Instance);
        proxy.Recorded += (_, r) =>
        {
            lock (_records)
            {
                _records.Add(r);
            }
        };
        _listener = proxy.Listen(Path.Combine(_directory, "egress.sock"), "kernel-1", options.Resolve("test")!);
        return _listener;
    }

    private static async Task<Socket> ConnectAsync(EgressListener listener)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(listener.SocketPath));
        return socket;
    }

    private static async Task<string> ExchangeAsync(EgressListener listener, string request)
    {
        using var client = await ConnectAsync(listener);
        await SendAsync(client, request);
        try
        {
            return await ReadToEndAsync(client);
        }
        catch (OperationCanceledException ex)
        {
            throw new TimeoutException("No complete answer to " + request.Split('\r')[0], ex);
        }
    }

    private static Task SendAsync(Socket socket, string text) => socket.SendAsync(Encoding.Latin1.GetBytes(text), SocketFlags.None);

    /// <summary>Reads up to the blank line that ends a response head (byte by byte: nothing after it is consumed).</summary>
    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Short);
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket.ReceiveAsync(one, SocketFlags.None, cts.Token) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Short);
        var all = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            all.Write(buffer, 0, n);
        }

        return Encoding.UTF8.GetString(all.ToArray());
    }
}
