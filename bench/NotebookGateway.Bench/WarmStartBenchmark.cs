using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Testing;
using NotebookGateway.Zmq;

namespace NotebookGateway.Bench;

/// <summary>
/// Issue 15's numbers: start → kernel_info_reply as a client sees it (POST /api/kernels, the channels websocket, a
/// kernel_info round trip), per language, warm (a pooled sandbox) and cold (the same request carrying one KERNEL_
/// variable, which a waiting sandbox cannot take), beside the same kernel started as a local unsandboxed process where
/// it runs on the host; then 30 starts at once, warm and cold. The pool is full and idle before each measured start.
/// </summary>
internal static class WarmStartBenchmark
{
    private static readonly TimeSpan PoolWait = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(string repositoryRoot, int starts, int concurrent, string? only)
    {
        var specs = Directory.EnumerateDirectories(Path.Combine(repositoryRoot, "kernelspecs")).Select(Path.GetFileName).OfType<string>()
            .Where(s => only is null || only.Split(',').Contains(s)).Order(StringComparer.Ordinal).ToList();
        var rows = new List<string>();
        var settings = new Dictionary<string, string>
        {
            ["NBGW_Metrics__RequireToken"] = "false",
            ["NBGW_Sandbox__Pool__RefillIntervalMilliseconds"] = "50",
            ["NBGW_Sandbox__Pool__MemoryBudgetMiB"] = "65536",
            // Deleting is not measured: kernels that do not exit on shutdown_request are removed after 1 s, not 5.
            ["NBGW_Sandbox__ShutdownGraceSeconds"] = "1",
        };
        foreach (string spec in specs)
        {
            settings[$"NBGW_Sandbox__Pool__Specs__{spec}__Size"] = "1";
        }

        await using (BenchServer gateway = await BenchServer.StartGatewayAsync(repositoryRoot, settings))
        {
            Console.WriteLine($"gateway: {gateway.Description}");
            using var client = new StartClient(gateway);
            foreach (string spec in specs)
            {
                await client.StartAndDeleteAsync(spec, cold: true); // first start of the image: page cache, self-test
                var warm = new double[starts];
                var cold = new double[starts];
                for (int i = 0; i < starts; i++)
                {
                    await client.WaitForPoolAsync(spec, 1);
                    warm[i] = await client.StartAndDeleteAsync(spec, cold: false);
                    await client.WaitForPoolAsync(spec, 1);
                    cold[i] = await client.StartAndDeleteAsync(spec, cold: true);
                }

                string local = await LocalStartsAsync(repositoryRoot, spec, starts);
                rows.Add($"| {spec} | {Describe(warm)} | {Describe(cold)} | {local} |");
                Console.WriteLine(rows[^1]);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| spec | warm p50 / p90 ({starts} starts) | cold p50 / p90 | unsandboxed local p50 / p90 |");
        Console.WriteLine("|---|---|---|---|");
        rows.ForEach(Console.WriteLine);

        if (concurrent > 0)
        {
            settings = new Dictionary<string, string>
            {
                ["NBGW_Metrics__RequireToken"] = "false",
                ["NBGW_Sandbox__Pool__MemoryBudgetMiB"] = "65536",
                ["NBGW_Sandbox__Pool__Specs__python3__Size"] = concurrent.ToString(CultureInfo.InvariantCulture),
            };
            await using BenchServer gateway = await BenchServer.StartGatewayAsync(repositoryRoot, settings);
            using var client = new StartClient(gateway);
            await client.WaitForPoolAsync("python3", concurrent);
            double cold = await client.BurstAsync(concurrent, cold: true);
            await client.WaitForPoolAsync("python3", concurrent);
            double warm = await client.BurstAsync(concurrent, cold: false);
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{concurrent} python3 starts at once, until every one answered kernel_info: warm {warm:0} ms, cold {cold:0} ms"));
        }

        return 0;
    }

    private static string Describe(double[] times) =>
        string.Create(CultureInfo.InvariantCulture, $"{Stats.Percentile(times, 50):0} / {Stats.Percentile(times, 90):0} ms");

    /// <summary>
    /// The same kernel started as a plain local process, when it runs on the host's Python: ipykernel for the Python
    /// specs, <c>nbgw_kernels</c> from <c>sandbox-images/shared</c> for Bash and the compiled languages (their start
    /// needs no compiler). R, Node and Octave are not installed on the host.
    /// </summary>
    private static async Task<string> LocalStartsAsync(string repositoryRoot, string spec, int starts)
    {
        using JsonDocument kernelJson = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(repositoryRoot, "kernelspecs", spec, "kernel.json")));
        string[] argv = kernelJson.RootElement.GetProperty("argv").EnumerateArray().Select(a => a.GetString()!).ToArray();
        if (argv[0] != "python3" || spec == "octave")
        {
            return "not installed on the host";
        }

        // Everything between the interpreter and "-f {connection_file}": the module and its own arguments.
        string[] arguments = argv[1..Array.IndexOf(argv, "-f")];
        string? pythonPath = arguments.Contains("ipykernel_launcher") ? null : Path.Combine(repositoryRoot, "sandbox-images", "shared");
        await using var zmq = new ZmqContext();
        var times = new double[starts];
        for (int i = 0; i < starts; i++)
        {
            long begin = Stopwatch.GetTimestamp();
            await using LocalIpyKernel kernel = await LocalIpyKernel.StartAsync("ipc", pythonPath is null ? null : arguments, pythonPath);
            await using KernelClient client = await KernelClient.ConnectAsync(kernel.Connection, zmq.Reactor);
            await client.WaitForReadyAsync(Limits.KernelStart);
            times[i] = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
        }

        return Describe(times);
    }

    /// <summary>Starts kernels the way a client does and reads the pool's size from /metrics.</summary>
    private sealed class StartClient : IDisposable
    {
        private readonly BenchServer _gateway;
        private readonly HttpClient _http = new() { Timeout = Limits.KernelStart + Limits.Short };

        public StartClient(BenchServer gateway)
        {
            _gateway = gateway;
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", gateway.Token);
        }

        /// <summary>POST, websocket, kernel_info: the milliseconds until the reply. The kernel is deleted afterwards.</summary>
        public async Task<double> StartAndDeleteAsync(string spec, bool cold)
        {
            long begin = Stopwatch.GetTimestamp();
            string id = await StartAsync(spec, cold);
            await using (ChannelSocket socket = await ChannelSocket.ConnectAsync(_gateway.BaseUri, _gateway.Token, id))
            {
                await socket.KernelInfoAsync(Limits.KernelStart);
            }

            double elapsed = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
            await DeleteAsync(id);
            return elapsed;
        }

        /// <summary><paramref name="count"/> python3 starts at once: the milliseconds until the last kernel_info reply.</summary>
        public async Task<double> BurstAsync(int count, bool cold)
        {
            long begin = Stopwatch.GetTimestamp();
            string[] ids = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
            {
                string id = await StartAsync("python3", cold);
                await using ChannelSocket socket = await ChannelSocket.ConnectAsync(_gateway.BaseUri, _gateway.Token, id);
                await socket.KernelInfoAsync(Limits.KernelStart);
                return id;
            }));
            double elapsed = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
            await Task.WhenAll(ids.Select(DeleteAsync));
            return elapsed;
        }

        public async Task WaitForPoolAsync(string spec, int ready)
        {
            long begin = Stopwatch.GetTimestamp();
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            while (true)
            {
                string metrics = await _http.GetStringAsync(new Uri(_gateway.BaseUri, "metrics"));
                string series = $"kernel_pool_ready{{kernel_name=\"{spec}\"}} ";
                string? line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series, StringComparison.Ordinal));
                if (line is not null && double.Parse(line[series.Length..], CultureInfo.InvariantCulture) >= ready)
                {
                    return;
                }

                if (Stopwatch.GetElapsedTime(begin) > PoolWait)
                {
                    throw new TimeoutException($"The {spec} pool did not reach {ready} waiting sandboxes within {PoolWait.TotalMinutes:0} min ({line ?? "no series"}).");
                }

                await timer.WaitForNextTickAsync();
            }
        }

        public void Dispose() => _http.Dispose();

        private async Task<string> StartAsync(string spec, bool cold)
        {
            var body = new Dictionary<string, object> { ["name"] = spec };
            if (cold)
            {
                body["env"] = new Dictionary<string, string> { ["KERNEL_BENCH_PATH"] = "cold" };
            }

            using var content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await _http.PostAsync(new Uri(_gateway.BaseUri, "api/kernels"), content);
            string text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"POST /api/kernels ({spec}) answered {(int)response.StatusCode}: {text}");
            }

            using JsonDocument model = JsonDocument.Parse(text);
            return model.RootElement.GetProperty("id").GetString()!;
        }

        private async Task DeleteAsync(string id)
        {
            using HttpResponseMessage response = await _http.DeleteAsync(new Uri(_gateway.BaseUri, "api/kernels/" + Uri.EscapeDataString(id)));
            response.EnsureSuccessStatusCode();
        }
    }
}
