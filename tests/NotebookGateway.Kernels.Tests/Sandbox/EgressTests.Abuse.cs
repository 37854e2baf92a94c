using System.Text.Json;
using NotebookGateway.Egress.Options;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Kernels.Lifecycle;

namespace NotebookGateway.Kernels.Tests.Sandbox;

/// <summary>The proxy under a hostile sandbox, and the starts that must be refused.</summary>
public sealed partial class EgressTests
{
    [Fact]
    public async Task Flood_OfConnectionsAndGarbage_IsAnsweredAndBounded_AndOtherKernelsAreUnaffected()
    {
        const int Limit = 16;
        var manager = await CreateManagerAsync("flood", new EgressPolicyOptions { Destinations = [$"127.0.0.1:{H}"], MaxConnections = Limit });
        env.WriteSpec("py-egress-flood", SandboxEnvironment.PythonArgv, networkPolicy: "test");
        var flooder = await manager.StartKernelAsync(new KernelStartRequest { SpecName = "py-egress-flood" });
        var victim = await manager.StartKernelAsync(new KernelStartRequest { SpecName = "py-egress-flood" });
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        // 400 connections that send nothing: the first 16 wait for a head (the deadline answers them), the rest are
        // answered 429 at once. While they are held, the other kernel fetches normally.
        var flood = SandboxEnvironment.RunJsonAsync(flooder, $$"""
            import json, socket
            held = []
            for i in range(400):
                s = socket.socket(socket.AF_UNIX); s.connect('/kernel/egress.sock'); s.settimeout(60); held.append(s)
            def status(s):
                try:
                    return s.recv(4096).decode(errors='replace').split('\r\n')[0]
                except OSError as e:
                    return 'error %d' % e.errno
            over = [status(s) for s in held[{{Limit}}:]]
            waited = [status(s) for s in held[:{{Limit}}]]
            for s in held:
                s.close()
            def send(data):
                s = socket.socket(socket.AF_UNIX); s.settimeout(60); s.connect('/kernel/egress.sock')
                try:
                    s.sendall(data)
                except OSError:
                    pass
                r = status(s); s.close(); return r
            garbage = {
                'binary': send(bytes(range(256)) * 8 + b'\r\n\r\n'),
                'endless_head': send(b'A' * 20000),
                'origin_form': send(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
                'connect_no_port': send(b'CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n'),
                'http2': send(b'GET http://127.0.0.1:{{H}}/ HTTP/2.0\r\n\r\n'),
                'host_mismatch': send(b'GET http://127.0.0.1:{{H}}/hello HTTP/1.1\r\nHost: evil.example\r\n\r\n'),
                'folded': send(b'GET http://127.0.0.1:{{H}}/hello HTTP/1.1\r\n folded\r\n\r\n'),
            }
            print(json.dumps({'over': sorted(set(over)), 'over_count': len(over), 'waited': sorted(set(waited)), 'garbage': garbage}))
            """, TimeSpan.FromMinutes(2));

        await WaitUntilAsync(() => flooder.Egress!.OpenConnections == Limit, "the flooder holds its connection limit");
        Assert.Equal($"{_server.Token} host=127.0.0.1:{H}", await SandboxEnvironment.RunAsync(victim, $"""
            import urllib.request
            print(urllib.request.urlopen('http://127.0.0.1:{H}/hello', timeout=30).read().decode())
            """));
        Assert.True(flooder.Egress!.OpenConnections <= Limit);

        var r = await flood;
        Assert.Equal(["HTTP/1.1 429 Too Many Requests"], r.GetProperty("over").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(400 - Limit, r.GetProperty("over_count").GetInt32());
        Assert.Equal(["HTTP/1.1 408 Request Timeout"], r.GetProperty("waited").EnumerateArray().Select(e => e.GetString()));
        var garbage = r.GetProperty("garbage");
        Assert.Equal("HTTP/1.1 400 Bad Request", garbage.GetProperty("binary").GetString());
        Assert.Equal("HTTP/1.1 431 Request Header Fields Too Large", garbage.GetProperty("endless_head").GetString());
        Assert.Equal("HTTP/1.1 400 Bad Request", garbage.GetProperty("origin_form").GetString());
        Assert.Equal("HTTP/1.1 400 Bad Request", garbage.GetProperty("connect_no_port").GetString());
        Assert.Equal("HTTP/1.1 505 HTTP Version Not Supported", garbage.GetProperty("http2").GetString());
        Assert.Equal("HTTP/1.1 400 Bad Request", garbage.GetProperty("host_mismatch").GetString());
        Assert.Equal("HTTP/1.1 400 Bad Request", garbage.GetProperty("folded").GetString());

        await WaitUntilAsync(() => flooder.Egress!.OpenConnections == 0, "every flood connection is closed");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        Assert.True(heapGrowth < 16L * 1024 * 1024, $"the managed heap grew by {heapGrowth} bytes");
        Assert.Equal(400 - Limit, Records(flooder.Id).Count(x => x.Status == 429));
        Assert.Equal(Limit, Records(flooder.Id).Count(x => x.Status == 408));
        Assert.DoesNotContain(Records(victim.Id), x => x.Decision == EgressRecord.Denied);
        Assert.Equal("ok", await SandboxEnvironment.RunAsync(flooder, "print('ok')"));
    }

    [Fact]
    public async Task Start_PolicyUnderGVisor_IsRefusedWithTheReason()
    {
        var manager = await CreateManagerAsync("gvisor", new EgressPolicyOptions { Destinations = [$"127.0.0.1:{H}"] });
        env.WriteSpec("py-egress-gvisor", SandboxEnvironment.PythonArgv, runtime: "runsc", networkPolicy: "test");

        var refused = await Assert.ThrowsAsync<KernelLaunchException>(() => manager.StartKernelAsync(new KernelStartRequest { SpecName = "py-egress-gvisor" }));

        Assert.Contains("gVisor", refused.Message, StringComparison.Ordinal);
        Assert.Contains("network policy 'test'", refused.Message, StringComparison.Ordinal);
        Assert.Empty(manager.ListKernels());
    }

    [Fact]
    public async Task Start_UndefinedPolicy_IsRefused()
    {
        var manager = await CreateManagerAsync("undefined", new EgressPolicyOptions { Destinations = [$"127.0.0.1:{H}"] });
        env.WriteSpec("py-egress-undefined", SandboxEnvironment.PythonArgv, networkPolicy: "no-such-policy");

        var refused = await Assert.ThrowsAsync<KernelLaunchException>(() => manager.StartKernelAsync(new KernelStartRequest { SpecName = "py-egress-undefined" }));

        Assert.Contains("no network policy 'no-such-policy'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyNone_HasNoProxySocketNoRelayAndNoProxyVariables()
    {
        var kernel = env.SharedKernel;
        Assert.Equal("none", kernel.NetworkPolicyName);
        Assert.Null(kernel.Egress);

        var r = await SandboxEnvironment.RunJsonAsync(kernel, """
            import json, os, socket
            s = socket.socket(); s.settimeout(5)
            try:
                s.connect(('127.0.0.1', 3128)); relay = 0
            except OSError as e:
                relay = e.errno
            print(json.dumps({'socket': os.path.exists('/kernel/egress.sock'), 'relay': relay,
                'proxy': [k for k in os.environ if k.lower().endswith('_proxy')], 'policy': os.environ.get('NBGW_NETWORK_POLICY')}))
            """);

        Assert.False(r.GetProperty("socket").GetBoolean());
        Assert.Equal(111, r.GetProperty("relay").GetInt32());
        Assert.Empty(r.GetProperty("proxy").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("policy").ValueKind);
    }

    /// <summary>Waits for a condition the test cannot be told about (the proxy's state), checking every 20 ms.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Long);
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException("Timed out waiting until " + what);
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }
}
