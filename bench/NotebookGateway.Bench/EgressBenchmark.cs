using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotebookGateway.Docker;
using NotebookGateway.Egress.Options;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Testing;
using NotebookGateway.Zmq;

namespace NotebookGateway.Bench;

/// <summary>
/// Issue 11's numbers, on the real path: a sandboxed python3 kernel with a policy listing a loopback server, reaching
/// it through the gateway's proxy (listening on the sandbox's own 127.0.0.1:3128), against the same client run on the host straight
/// to the server. Throughput of a 100 MiB download (curl), added latency per request (urllib, one connection each),
/// and the gateway's memory per open proxied connection (idle CONNECT tunnels to a server in another process).
/// </summary>
internal static class EgressBenchmark
{
    private const long Download = 100L * 1024 * 1024;

    public static async Task<int> RunAsync(string repositoryRoot, int downloads, int requests, int tunnels, bool zeroCopy, int bufferBytes)
    {
        await using var server = await EgressTestServer.StartAsync();
        using var nginx = await NginxFileServer.StartAsync(Download);
        using var holder = StartHolder(out int holderPort);
        using var killHolder = new KillOnDispose(holder); // also when the benchmark fails midway
        var egress = new EgressOptions
        {
            NoProxy = "",
            ZeroCopy = zeroCopy,
            BufferBytes = bufferBytes,
            Policies = { ["bench"] = new EgressPolicyOptions { Destinations = [$"127.0.0.1:{server.HttpPort}", $"127.0.0.1:{nginx.Port}", $"127.0.0.1:{holderPort}"], MaxConnections = tunnels + 8, ConnectionsPerMinute = tunnels + 1000, MaxBytesDown = long.MaxValue / 2 } },
        };
        await using var zmq = new ZmqContext();
        using var docker = new DockerClient();
        IOptions<SandboxOptions> options = Options.Create(new SandboxOptions
        {
            Owner = "nbgw-bench-egress",
            KernelSpecDirectories = [Path.Combine(repositoryRoot, "kernelspecs")],
            SeccompProfile = Path.Combine(repositoryRoot, "seccomp", "notebook.json"),
            SocketRoot = "/run/notebookgateway/bench-egress-sockets",
            WorkspaceRoot = "/var/lib/notebookgateway/bench-egress-workspaces",
            UidRange = new UidRangeOptions { First = 510_000, Count = 1000 },
        });
        using var metrics = new EgressMetrics();
        var proxy = new EgressProxy(Options.Create(egress), metrics, TimeProvider.System, NullLogger<EgressProxy>.Instance);
        using var catalog = new KernelSpecCatalog(docker, options, NullLogger<KernelSpecCatalog>.Instance);
        await using var manager = SandboxKernelManagerFactory.Create(docker, zmq, catalog, options, NullLoggerFactory.Instance, egress: proxy);
        await manager.InitializeAsync();
        SandboxKernel kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = "python3", NetworkPolicy = "bench" });

        string url = $"http://127.0.0.1:{server.HttpPort}/bytes/{Download}";
        string netns = $"/proc/{(await docker.Containers.InspectAsync(kernel.ContainerId!)).State!.Pid}/ns/net";
        Console.WriteLine($"100 MiB download with curl, median of {downloads} (relay: {(egress.ZeroCopy ? "splice" : "copy")}, {egress.BufferBytes / 1024} KiB):");
        await ReportDownloadsAsync("Kestrel in the proxy's process, 64 KiB writes", kernel, url, netns, downloads);
        await ReportDownloadsAsync("nginx, sendfile", kernel, $"http://127.0.0.1:{nginx.Port}/{NginxFileServer.FileName}", netns, downloads);

        // The gateway's part alone: the same download by a host client through the proxy's socket vs straight over TCP.
        var tcp = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.HttpPort);
        var unix = new System.Net.Sockets.UnixDomainSocketEndPoint(kernel.Egress!.SocketPath);
        string originForm = $"GET /bytes/{Download} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        string absoluteForm = $"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{server.HttpPort}\r\n\r\n";
        var hostDirect = new double[downloads];
        var hostProxied = new double[downloads];
        for (int i = 0; i < downloads; i++)
        {
            hostDirect[i] = (await HostExchangeAsync(tcp, originForm)).MiBs;
            hostProxied[i] = (await HostExchangeAsync(unix, absoluteForm)).MiBs;
        }

        Console.WriteLine($"  gateway proxy alone (host client, 1 MiB reads, Kestrel): direct {Stats.Percentile(hostDirect, 50):0} MiB/s, through the proxy {Stats.Percentile(hostProxied, 50):0} MiB/s, ratio {Stats.Percentile(hostProxied, 50) / Stats.Percentile(hostDirect, 50):0.00}");

        string latencyLoop = $$"""
            import json, time, urllib.request
            url = 'http://127.0.0.1:{{server.HttpPort}}/hello'
            for _ in range(20): urllib.request.urlopen(url).read()
            samples = []
            for _ in range({{requests}}):
                t = time.perf_counter(); urllib.request.urlopen(url).read(); samples.append((time.perf_counter() - t) * 1000)
            print(json.dumps(samples))
            """;
        double[] hostLatency = JsonSerializer.Deserialize<double[]>(await HostPythonAsync(latencyLoop))!;
        double[] sandboxLatency = JsonSerializer.Deserialize<double[]>(await RunAsync(kernel, latencyLoop))!;
        Console.WriteLine($"GET /hello with urllib (a new connection each), {requests} requests:");
        Console.WriteLine($"  host, straight to the server                  p50 {Stats.Percentile(hostLatency, 50):0.00} ms  p90 {Stats.Percentile(hostLatency, 90):0.00} ms");
        Console.WriteLine($"  sandbox, through the proxy                    p50 {Stats.Percentile(sandboxLatency, 50):0.00} ms  p90 {Stats.Percentile(sandboxLatency, 90):0.00} ms");
        Console.WriteLine($"  added at p50: {Stats.Percentile(sandboxLatency, 50) - Stats.Percentile(hostLatency, 50):0.00} ms");
        var proxyOnly = new double[requests];
        var directOnly = new double[requests];
        for (int i = 0; i < requests; i++)
        {
            directOnly[i] = (await HostExchangeAsync(tcp, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).Ms;
            proxyOnly[i] = (await HostExchangeAsync(unix, $"GET http://127.0.0.1:{server.HttpPort}/hello HTTP/1.1\r\nHost: 127.0.0.1:{server.HttpPort}\r\n\r\n")).Ms;
        }
        Console.WriteLine($"  gateway proxy alone (host client): direct p50 {Stats.Percentile(directOnly, 50):0.00} ms, through the proxy p50 {Stats.Percentile(proxyOnly, 50):0.00} ms, added {Stats.Percentile(proxyOnly, 50) - Stats.Percentile(directOnly, 50):0.00} ms");

        // Memory per open connection: idle CONNECT tunnels through the proxy's socket (host clients, so the number is
        // not bounded by the sandbox's pids limit) to a server in another process.
        GC.Collect();
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        Process.GetCurrentProcess().Refresh();
        long workingSetBefore = Process.GetCurrentProcess().WorkingSet64;
        var held = new List<System.Net.Sockets.Socket>();
        for (int i = 0; i < tunnels; i++)
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            await socket.ConnectAsync(unix);
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:{holderPort} HTTP/1.1\r\n\r\n"));
            var reply = new byte[128];
            int n = await socket.ReceiveAsync(reply);
            if (!System.Text.Encoding.ASCII.GetString(reply, 0, n).StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("tunnel refused: " + System.Text.Encoding.ASCII.GetString(reply, 0, n));
            }
            held.Add(socket);
        }
        GC.Collect();
        long managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        Process.GetCurrentProcess().Refresh();
        long workingSetAfter = Process.GetCurrentProcess().WorkingSet64;
        Console.WriteLine($"gateway memory per open proxied connection ({tunnels} idle CONNECT tunnels; includes the benchmark's own client socket):");
        Console.WriteLine($"  working set {(workingSetAfter - workingSetBefore) / (double)tunnels / 1024:0.0} KiB, managed heap {(managedAfter - managedBefore) / (double)tunnels / 1024:0.0} KiB (relay buffers of {egress.BufferBytes / 1024} KiB are pooled and held only while bytes move)");
        foreach (var socket in held)
        {
            socket.Dispose();
        }
        await manager.ShutdownKernelAsync(kernel.Id);
        return 0;
    }

    /// <summary>
    /// The same download four ways, taking turns in a different order each round after a warm-up (JIT of the server
    /// and the proxy, curl in the page cache), so that a slow moment of the machine does not land on one way only.
    /// </summary>
    private static async Task ReportDownloadsAsync(string serverName, SandboxKernel kernel, string url, string netns, int downloads)
    {
        var direct = new double[downloads];
        var proxied = new double[downloads];
        var inNamespace = new double[downloads];
        var reference = new double[downloads];
        var target = new Uri(url);
        using var relay = new ReferenceRelay(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, target.Port));
        string relayUrl = new UriBuilder(target) { Port = relay.Port }.Uri.ToString();
        await HostCurlSpeedAsync(url);
        await HostCurlSpeedAsync(relayUrl);
        await SandboxCurlSpeedAsync(kernel, url);
        for (int i = 0; i < downloads; i++)
        {
            Func<Task>[] ways =
            [
                async () => direct[i] = await HostCurlSpeedAsync(url),
                async () => proxied[i] = await SandboxCurlSpeedAsync(kernel, url),
                // The host's curl in the sandbox's network namespace: the proxy's path without the sandbox's CPU quota and seccomp filter.
                async () => inNamespace[i] = await HostCurlSpeedAsync(url, "nsenter", "--net=" + netns, "curl", "-x", "http://127.0.0.1:3128"),
                async () => reference[i] = await HostCurlSpeedAsync(relayUrl),
            ];
            for (int w = 0; w < ways.Length; w++)
            {
                await ways[(w + i) % ways.Length]();
            }
        }

        double directMiBs = Stats.Percentile(direct, 50) / (1 << 20);
        double proxiedMiBs = Stats.Percentile(proxied, 50) / (1 << 20);
        Console.WriteLine($"  server: {serverName}");
        Console.WriteLine($"    curl on the host, straight to the server      {directMiBs:0} MiB/s");
        Console.WriteLine($"    curl in the sandbox, through the proxy        {proxiedMiBs:0} MiB/s");
        Console.WriteLine($"    host curl in the sandbox's network namespace  {Stats.Percentile(inNamespace, 50) / (1 << 20):0} MiB/s (the same path without the sandbox's CPU quota and seccomp filter)");
        Console.WriteLine($"    end-to-end ratio {proxiedMiBs / directMiBs:0.00} (goal >= 0.8)");
        double referenceMiBs = Stats.Percentile(reference, 50) / (1 << 20);
        Console.WriteLine($"    host curl through the reference relay         {referenceMiBs:0} MiB/s, ratio {referenceMiBs / directMiBs:0.00} (blocking threads, 4 MiB copies: the most a relay reaches here)");
    }

    /// <summary>One request on a new connection, read to the end: MiB/s and milliseconds.</summary>
    private static async Task<(double MiBs, double Ms)> HostExchangeAsync(System.Net.EndPoint endPoint, string request)
    {
        using var socket = new System.Net.Sockets.Socket(endPoint.AddressFamily, System.Net.Sockets.SocketType.Stream, endPoint is System.Net.IPEndPoint ? System.Net.Sockets.ProtocolType.Tcp : System.Net.Sockets.ProtocolType.Unspecified);
        long start = Stopwatch.GetTimestamp();
        await socket.ConnectAsync(endPoint);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0)
        {
            total += n;
        }
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        return (total / elapsed.TotalSeconds / (1 << 20), elapsed.TotalMilliseconds);
    }

    /// <summary>A server in another process that accepts connections and holds them (so its memory is not the gateway's).</summary>
    private sealed class KillOnDispose(Process process) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    private static Process StartHolder(out int port)
    {
        var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", """
            import socket, threading
            srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1024)
            print(srv.getsockname()[1], flush=True)
            held = []
            while True:
                c, _ = srv.accept(); held.append(c)
            """]) { RedirectStandardOutput = true })!;
        port = int.Parse(process.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
        return process;
    }

    private static async Task<double> SandboxCurlSpeedAsync(SandboxKernel kernel, string url) =>
        double.Parse(await RunAsync(kernel, $"""
            import subprocess
            print(subprocess.run(['curl', '-fsS', '-o', '/dev/null', '-w', '%{"{"}speed_download{"}"}', '{url}'], capture_output=True, text=True, check=True).stdout)
            """), CultureInfo.InvariantCulture);

    private static async Task<double> HostCurlSpeedAsync(string url, params string[] through)
    {
        string[] curlArguments = ["-fsS", "-o", "/dev/null", "-w", "%{speed_download}", url];
        using var curl = Process.Start(through.Length == 0
            ? new ProcessStartInfo("curl", ["--noproxy", "*", .. curlArguments]) { RedirectStandardOutput = true }
            : new ProcessStartInfo(through[0], [.. through[1..], .. curlArguments]) { RedirectStandardOutput = true })!;
        string speed = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync();
        if (curl.ExitCode != 0)
        {
            throw new InvalidOperationException($"curl {url} failed with exit code {curl.ExitCode}");
        }
        return double.Parse(speed, CultureInfo.InvariantCulture);
    }

    private static async Task<string> HostPythonAsync(string code)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", ["-c", code]) { RedirectStandardOutput = true };
        start.Environment.Remove("http_proxy");
        start.Environment.Remove("HTTP_PROXY");
        using var python = Process.Start(start)!;
        string output = await python.StandardOutput.ReadToEndAsync();
        await python.WaitForExitAsync();
        return output.Trim();
    }

    private static async Task<string> RunAsync(SandboxKernel kernel, string code, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        var outcome = await kernel.Client.ExecuteAsync(code, new ExecuteOptions { StoreHistory = false }, cts.Token);
        if (outcome.Status != "ok")
        {
            throw new InvalidOperationException($"cell failed: {outcome.StreamText("stderr")} {string.Join("; ", outcome.OutputsOfType("error").Select(e => e.GetContentString("evalue")))}");
        }
        return outcome.StreamText().Trim();
    }

    /// <summary>A second, short cell while the first still runs would queue behind it; this one goes through a fresh exec in the container.</summary>
    private static async Task RunSideAsync(SandboxKernel kernel, string python)
    {
        using var exec = Process.Start(new ProcessStartInfo("docker", ["exec", kernel.ContainerId!, "python3", "-c", python]))!;
        await exec.WaitForExitAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 120;
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("the tunnels did not open");
            }
            await Task.Delay(20);
        }
    }
}
