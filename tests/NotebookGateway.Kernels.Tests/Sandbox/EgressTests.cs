using Microsoft.Extensions.Logging;
using NotebookGateway.Egress.Options;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace NotebookGateway.Kernels.Tests.Sandbox;

/// <summary>
/// Kernels with a network policy, for real: the sandbox (no interface but lo) reaches loopback servers on the host
/// only through the gateway's egress proxy, with urllib, curl and pip unchanged; everything else fails, and the proxy
/// records each decision. The servers are on the host's 127.0.0.1 and listed by literal address.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed partial class EgressTests(SandboxEnvironment env) : IAsyncLifetime
{
    private readonly List<EgressRecord> _records = [];
    private readonly List<Func<bool>> _waiters = [];
    private readonly List<SandboxKernelManager> _managers = [];
    private EgressTestServer _server = null!;

    private int H => _server.HttpPort;

    private int S => _server.HttpsPort;

    public async Task InitializeAsync() => _server = await EgressTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var manager in _managers)
        {
            await manager.DisposeAsync();
            await env.AssertNothingLeftAsync(manager.Owner);
        }

        await _server.DisposeAsync();
    }

    [Fact]
    public async Task AllowedDestination_AnswersUrllibAndCurl_OverHttpAndHttpsConnect()
    {
        var kernel = await StartAsync("allow", new EgressPolicyOptions { Destinations = [$"127.0.0.1:{H}", $"127.0.0.1:{S}"] });

        var r = await SandboxEnvironment.RunJsonAsync(kernel, $$"""
            import json, os, ssl, subprocess, urllib.request
            r = {'env': dict((k, os.environ.get(k)) for k in ('HTTP_PROXY', 'https_proxy', 'NBGW_NETWORK_POLICY', 'NBGW_EGRESS_ALLOW'))}
            r['urllib_http'] = urllib.request.urlopen('http://127.0.0.1:{{H}}/hello', timeout=30).read().decode()
            r['urllib_https'] = urllib.request.urlopen('https://127.0.0.1:{{S}}/hello', timeout=30, context=ssl._create_unverified_context()).read().decode()
            def curl(*args):
                p = subprocess.run(['curl', '-sS', '--max-time', '30', *args], capture_output=True, text=True)
                return p.stdout + p.stderr
            r['curl_http'] = curl('http://127.0.0.1:{{H}}/hello')
            r['curl_https'] = curl('-k', 'https://127.0.0.1:{{S}}/hello')
            import socket
            taken = socket.socket()
            try:
                taken.bind(('127.0.0.1', 3128)); r['bind_3128'] = 0
            except OSError as e:
                r['bind_3128'] = e.errno
            r['commands'] = [open(f'/proc/{p}/comm').read().strip() for p in os.listdir('/proc') if p.isdigit()]
            print(json.dumps(r))
            """);

        Assert.Equal($"{_server.Token} host=127.0.0.1:{H}", r.GetProperty("urllib_http").GetString());
        Assert.Equal($"{_server.Token} host=127.0.0.1:{S}", r.GetProperty("urllib_https").GetString());
        Assert.Equal($"{_server.Token} host=127.0.0.1:{H}", r.GetProperty("curl_http").GetString());
        Assert.Equal($"{_server.Token} host=127.0.0.1:{S}", r.GetProperty("curl_https").GetString());
        var environment = r.GetProperty("env");
        Assert.Equal("http://127.0.0.1:3128", environment.GetProperty("HTTP_PROXY").GetString());
        Assert.Equal("http://127.0.0.1:3128", environment.GetProperty("https_proxy").GetString());
        Assert.Equal("test", environment.GetProperty("NBGW_NETWORK_POLICY").GetString());
        Assert.Equal($"127.0.0.1:{H},127.0.0.1:{S}", environment.GetProperty("NBGW_EGRESS_ALLOW").GetString());

        // The gateway itself listens on the sandbox's 127.0.0.1:3128 (no relay process): the kernel cannot take the port.
        Assert.Equal(98, r.GetProperty("bind_3128").GetInt32()); // EADDRINUSE
        Assert.DoesNotContain("socat", r.GetProperty("commands").EnumerateArray().Select(c => c.GetString()));

        var allowed = (await RecordsWhenAsync(kernel.Id, l => l.Count(x => x.Decision == EgressRecord.Allowed) >= 4, "four allowed connections"))
            .Where(x => x.Decision == EgressRecord.Allowed).ToList();
        Assert.Equal(2, allowed.Count(x => x.Method == "GET" && x.Destination == $"127.0.0.1:{H}" && x.Address == "127.0.0.1" && x.BytesDown > 0));
        Assert.Equal(2, allowed.Count(x => x.Method == "CONNECT" && x.Destination == $"127.0.0.1:{S}" && x.BytesUp > 0 && x.BytesDown > 0));
        Assert.DoesNotContain(Records(kernel.Id), x => x.Decision == EgressRecord.Denied);

        // The mount is read-only: the sandbox can use the socket but not replace it.
        var mount = Assert.Single((await env.Docker.Containers.InspectAsync(kernel.ContainerId!)).Mounts!, m => m.Destination == "/kernel/egress.sock");
        Assert.False(mount.ReadWrite);
        var replace = await SandboxEnvironment.RunAsync(kernel, """
            import os
            try:
                os.unlink('/kernel/egress.sock'); print('unlinked')
            except OSError as e:
                print(e.errno)
            """);
        Assert.NotEqual("unlinked", replace);
    }

    [Fact]
    public async Task Pip_DownloadsAndInstallsTheTestWheel_FromAPep503IndexThroughTheProxy()
    {
        var kernel = await StartAsync("pip", new EgressPolicyOptions { Destinations = [$"127.0.0.1:{H}"] });

        var r = await SandboxEnvironment.RunJsonAsync(kernel, $$"""
            import json, os, subprocess, sys
            index = ['--index-url', 'http://127.0.0.1:{{H}}/simple/', '--trusted-host', '127.0.0.1', '--no-cache-dir', '--disable-pip-version-check']
            d = subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '-d', '/tmp/dl', *index, '{{_server.Wheel.Project}}'], capture_output=True, text=True, timeout=240)
            i = subprocess.run([sys.executable, '-m', 'pip', 'install', '--target', '/tmp/site', *index, '{{_server.Wheel.Project}}'], capture_output=True, text=True, timeout=240)
            sys.path.insert(0, '/tmp/site')
            try:
                import {{_server.Wheel.Module}} as probe
                value = probe.VALUE
            except ImportError as e:
                value = repr(e)
            print(json.dumps({'download': d.returncode, 'download_err': d.stderr[-3000:], 'files': sorted(os.listdir('/tmp/dl')) if os.path.isdir('/tmp/dl') else [],
                              'install': i.returncode, 'install_err': i.stderr[-3000:], 'value': value}))
            """, TimeSpan.FromMinutes(5));

        Assert.True(r.GetProperty("download").GetInt32() == 0, r.GetProperty("download_err").GetString());
        Assert.Equal([_server.Wheel.FileName], r.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.True(r.GetProperty("install").GetInt32() == 0, r.GetProperty("install_err").GetString());
        Assert.Equal(_server.Wheel.Token, r.GetProperty("value").GetString());
        await RecordsWhenAsync(kernel.Id, l => l.Any(x => x.Decision == EgressRecord.Allowed && x.Destination == $"127.0.0.1:{H}" && x.BytesDown >= _server.Wheel.Bytes.Length), "the wheel's download");
    }

    [Fact]
    public async Task EverythingElse_Fails_AndTheProxyReportsTheDenials()
    {
        var kernel = await StartAsync("deny", new EgressPolicyOptions { Destinations = [$"127.0.0.1:{H}"] });
        var requestsBefore = _server.Requests;

        var r = await SandboxEnvironment.RunJsonAsync(kernel, $$"""
            import json, socket, ssl, subprocess, urllib.error, urllib.request
            r = {}
            def http(url):
                try:
                    urllib.request.urlopen(url, timeout=30, context=ssl._create_unverified_context()); return 'ok'
                except urllib.error.HTTPError as e:
                    return [e.code, e.read().decode()]
                except OSError as e:
                    return str(e)
            r['unlisted_port'] = http('http://127.0.0.1:{{S}}/hello')
            r['metadata'] = http('http://169.254.169.254/latest/meta-data/')
            r['unlisted_name'] = http('http://example.com/')
            r['connect_unlisted'] = http('https://127.0.0.1:{{S}}/hello')
            c = subprocess.run(['curl', '-sSk', '--max-time', '30', 'https://127.0.0.1:{{S}}/hello'], capture_output=True, text=True)
            r['curl'] = [c.returncode, c.stderr]
            def tcp(host, port):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(5)
                try:
                    s.connect((host, port)); return 0
                except OSError as e:
                    return e.errno
                finally:
                    s.close()
            r['raw_host_port'] = tcp('127.0.0.1', {{H}})
            r['raw_public'] = tcp('1.1.1.1', 443)
            r['raw_dns_tcp'] = tcp('8.8.8.8', 53)
            try:
                socket.getaddrinfo('example.com', 443); r['getaddrinfo'] = 'resolved'
            except socket.gaierror as e:
                r['getaddrinfo'] = e.errno
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                u.sendto(b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01', ('8.8.8.8', 53)); r['udp_dns'] = 0
            except OSError as e:
                r['udp_dns'] = e.errno
            finally:
                u.close()
            # DNS over the proxy is refused too: CONNECT to a resolver's port is not on the list.
            p = socket.create_connection(('127.0.0.1', 3128), timeout=10)
            p.sendall(b'CONNECT 8.8.8.8:53 HTTP/1.1\r\nHost: 8.8.8.8:53\r\n\r\n')
            r['connect_dns'] = p.recv(4096).decode().split('\r\n')[0]
            p.close()
            print(json.dumps(r))
            """);

        var unlisted = r.GetProperty("unlisted_port");
        Assert.Equal(403, unlisted[0].GetInt32());
        Assert.Contains("refused by network policy 'test'", unlisted[1].GetString(), StringComparison.Ordinal);
        Assert.Contains($"Allowed destinations: 127.0.0.1:{H}", unlisted[1].GetString(), StringComparison.Ordinal);
        Assert.Equal(403, r.GetProperty("metadata")[0].GetInt32());
        Assert.Equal(403, r.GetProperty("unlisted_name")[0].GetInt32());
        Assert.Contains("403", r.GetProperty("connect_unlisted").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(0, r.GetProperty("curl")[0].GetInt32());
        Assert.Contains("403", r.GetProperty("curl")[1].GetString(), StringComparison.Ordinal);
        Assert.Equal(111, r.GetProperty("raw_host_port").GetInt32()); // ECONNREFUSED: the sandbox's own loopback, not the host's
        Assert.Equal(101, r.GetProperty("raw_public").GetInt32());    // ENETUNREACH
        Assert.Equal(101, r.GetProperty("raw_dns_tcp").GetInt32());
        Assert.True(r.GetProperty("getaddrinfo").GetInt32() < 0, "getaddrinfo must fail with an EAI_* code");
        Assert.Equal(101, r.GetProperty("udp_dns").GetInt32());
        Assert.StartsWith("HTTP/1.1 403", r.GetProperty("connect_dns").GetString(), StringComparison.Ordinal);

        Assert.Equal(requestsBefore, _server.Requests); // nothing refused ever reached a server
        string[] refusedDestinations = [$"127.0.0.1:{S}", "169.254.169.254:80", "example.com:80", "8.8.8.8:53"];
        var denied = (await RecordsWhenAsync(kernel.Id, l => refusedDestinations.All(d => l.Any(x => x.Decision == EgressRecord.Denied && x.Destination == d)), "the four refusals"))
            .Where(x => x.Decision == EgressRecord.Denied).Select(x => x.Destination).ToList();
        Assert.Contains($"127.0.0.1:{S}", denied);
        Assert.Contains("169.254.169.254:80", denied);
        Assert.Contains("example.com:80", denied);
        Assert.Contains("8.8.8.8:53", denied);
        Assert.DoesNotContain(Records(kernel.Id), x => x.Decision == EgressRecord.Allowed);
    }

    [Fact]
    public async Task ListedName_ResolvingToLoopback_IsRefusedUnlessTheAddressIsListed()
    {
        var kernel = await StartAsync("rebind", new EgressPolicyOptions
        {
            Destinations = [$"localhost:{H}", $"localhost:{S}", $"127.0.0.1:{S}"],
        });

        var r = await SandboxEnvironment.RunJsonAsync(kernel, $$"""
            import json, ssl, urllib.error, urllib.request
            def get(url):
                try:
                    return urllib.request.urlopen(url, timeout=30, context=ssl._create_unverified_context()).read().decode()
                except urllib.error.HTTPError as e:
                    return [e.code, e.read().decode()]
                except OSError as e:
                    return str(e)
            print(json.dumps({'name_only': get('http://localhost:{{H}}/hello'), 'name_and_address': get('https://localhost:{{S}}/hello')}))
            """);

        var refused = r.GetProperty("name_only");
        Assert.Equal(403, refused[0].GetInt32());
        Assert.Contains("resolves only to addresses that are not public", refused[1].GetString(), StringComparison.Ordinal);
        Assert.Equal($"{_server.Token} host=localhost:{S}", r.GetProperty("name_and_address").GetString());
        await RecordsWhenAsync(kernel.Id, l => l.Any(x => x.Decision == EgressRecord.Allowed && x.Destination == $"localhost:{S}" && x.Address == "127.0.0.1"), "the allowed tunnel to localhost");
    }

    [Fact]
    public async Task ByteCap_CutsTheDownload_ThenRefusesWithTheReason()
    {
        const long Cap = 1024 * 1024;
        var kernel = await StartAsync("cap", new EgressPolicyOptions { Destinations = [$"127.0.0.1:{H}"], MaxBytesDown = Cap });

        var r = await SandboxEnvironment.RunJsonAsync(kernel, $$"""
            import json, urllib.error, urllib.request
            r = {}
            try:
                r['got'] = len(urllib.request.urlopen('http://127.0.0.1:{{H}}/bytes/{{8 * Cap}}', timeout=30).read())
            except Exception as e:
                r['error'] = type(e).__name__
            try:
                urllib.request.urlopen('http://127.0.0.1:{{H}}/hello', timeout=30); r['after'] = 'ok'
            except urllib.error.HTTPError as e:
                r['after'] = [e.code, e.read().decode()]
            print(json.dumps(r))
            """);

        Assert.False(r.TryGetProperty("got", out _), "the download must not complete");
        Assert.True(r.TryGetProperty("error", out _));
        var after = r.GetProperty("after");
        Assert.Equal(403, after[0].GetInt32());
        Assert.Contains("byte cap", after[1].GetString(), StringComparison.Ordinal);
        var cut = Assert.Single(await RecordsWhenAsync(kernel.Id, l => l.Any(x => x.CapExceeded), "the cut download"), x => x.CapExceeded);
        Assert.Equal(EgressRecord.Allowed, cut.Decision);
        Assert.InRange(cut.BytesDown, 1, Cap);
        Assert.Contains("byte cap", cut.Reason, StringComparison.Ordinal);
        // Counted past the cap: at most the one read that crossed it (never forwarded).
        Assert.InRange(kernel.Egress!.BytesDown, Cap + 1, Cap + new EgressOptions().BufferBytes);
    }

    private IReadOnlyList<EgressRecord> Records(string kernelId)
    {
        lock (_records)
        {
            return _records.Where(r => r.KernelId == kernelId).ToList();
        }
    }

    /// <summary>
    /// The kernel's records once <paramref name="done"/> holds for them: an allowed connection is recorded when the
    /// proxy sees it end, which can be just after the client in the sandbox is through with it.
    /// </summary>
    private async Task<IReadOnlyList<EgressRecord>> RecordsWhenAsync(string kernelId, Func<IReadOnlyList<EgressRecord>, bool> done, string what)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_records)
        {
            if (done(Records(kernelId)))
            {
                return Records(kernelId);
            }

            _waiters.Add(() => done(Records(kernelId)) && signal.TrySetResult());
        }

        try
        {
            await signal.Task.WaitAsync(TestTimeouts.Long);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"The proxy never recorded {what}; it recorded: {string.Join("; ", Records(kernelId).Select(r => $"{r.Decision} {r.Method} {r.Destination}"))}", ex);
        }

        return Records(kernelId);
    }

    /// <summary>A manager with an egress proxy whose one policy, <c>test</c>, is <paramref name="policy"/>, and a kernel under it.</summary>
    private async Task<SandboxKernel> StartAsync(string name, EgressPolicyOptions policy, Action<EgressOptions>? configure = null)
    {
        var manager = await CreateManagerAsync(name, policy, configure);
        var spec = "py-egress-" + name;
        env.WriteSpec(spec, SandboxEnvironment.PythonArgv, networkPolicy: "test");
        return await manager.StartKernelAsync(new KernelStartRequest { SpecName = spec });
    }

    private async Task<SandboxKernelManager> CreateManagerAsync(string name, EgressPolicyOptions policy, Action<EgressOptions>? configure = null,
        Action<SandboxOptions>? sandbox = null)
    {
        // Loopback here means the host's test servers, so nothing bypasses the proxy.
        var options = new EgressOptions { NoProxy = "", Policies = { ["test"] = policy } };
        configure?.Invoke(options);
        var proxy = new EgressProxy(MsOptions.Create(options), new EgressMetrics(), TimeProvider.System, env.Logs.CreateLogger<EgressProxy>());
        proxy.Recorded += (_, record) =>
        {
            lock (_records)
            {
                _records.Add(record);
                _waiters.RemoveAll(met => met());
            }
        };
        var manager = await env.CreateManagerAsync("egress-" + name, sandbox, egress: proxy);
        _managers.Add(manager);
        return manager;
    }
}
