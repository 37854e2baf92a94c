using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Testing;
using NotebookGateway.Zmq;

// Benchmarks for the README. Run from the repository root:
// dotnet run -c Release --project bench/NotebookGateway.Bench [all|execute|pingpong|sandbox] [--runs N] [--starts N] [--idle N] [--engine podman]
// dotnet bench/NotebookGateway.Bench/bin/Release/net10.0/NotebookGateway.Bench.dll gateway [--runs 500] [--concurrent 20] [--starts 10] [--concurrent-runs 100]
// dotnet bench/NotebookGateway.Bench/bin/Release/net10.0/NotebookGateway.Bench.dll bridge [--runs 1000] [--starts 10]
// dotnet bench/NotebookGateway.Bench/bin/Release/net10.0/NotebookGateway.Bench.dll languages [--starts 10] [--runs 200] [--compiles 20] [--only c,go]
// dotnet bench/NotebookGateway.Bench/bin/Release/net10.0/NotebookGateway.Bench.dll starts [--starts 10] [--concurrent 30] [--only python3,r]
// dotnet bench/NotebookGateway.Bench/bin/Release/net10.0/NotebookGateway.Bench.dll monitoring [--runs 300] [--loops 5] [--samples 50]
// dotnet bench/NotebookGateway.Bench/bin/Release/net10.0/NotebookGateway.Bench.dll egress [--downloads 5] [--requests 300] [--tunnels 1000] [--copy] [--buffer 262144]
// dotnet bench/NotebookGateway.Bench/bin/Release/net10.0/NotebookGateway.Bench.dll soak [--minutes 30] [--warmup-seconds 60] [--users 20] [--seed 1] [--sample-seconds 30] [--owner nbgw-bench-soak]
// dotnet bench/NotebookGateway.Bench/bin/Release/net10.0/NotebookGateway.Bench.dll readopt [--counts 1,50,200] [--engine podman]
// dotnet bench/NotebookGateway.Bench/bin/Release/net10.0/NotebookGateway.Bench.dll users [--kernels 100] [--users 10] [--concurrent-users 20] [--concurrent-runs 100] [--idle-timeout 30]
string mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
int runs = ReadOption("--runs", 1000);
// --engine podman: the sandbox and readopt modes on rootful Podman (scripts/podman-images.sh sets it up).
int engineAt = Array.IndexOf(args, "--engine");
bool podman = engineAt >= 0 && engineAt + 1 < args.Length && args[engineAt + 1].Equals("podman", StringComparison.OrdinalIgnoreCase);

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, libzmq {ZmqContext.LibraryVersion}");
if (mode is "all" or "execute")
{
    await ExecuteRoundTripAsync(runs);
}
if (mode is "all" or "pingpong")
{
    await PingPongAsync(runs * 100);
}
if (mode is "all" or "sandbox")
{
    string root = Environment.CurrentDirectory;
    await NotebookGateway.Bench.SandboxBenchmark.RunAsync(root, ReadOption("--starts", 20), ReadOption("--idle", 10), podman);
}
if (mode is "gateway")
{
    return await NotebookGateway.Bench.GatewayBenchmark.RunAsync(
        Environment.CurrentDirectory, ReadOption("--runs", 500), ReadOption("--concurrent", 20), ReadOption("--starts", 10), ReadOption("--concurrent-runs", 100));
}
if (mode is "bridge")
{
    return await NotebookGateway.Bench.BridgeBenchmark.RunAsync(Environment.CurrentDirectory, ReadOption("--runs", 1000), ReadOption("--starts", 10));
}
if (mode is "languages")
{
    int only = Array.IndexOf(args, "--only");
    return await NotebookGateway.Bench.LanguagesBenchmark.RunAsync(Environment.CurrentDirectory, ReadOption("--starts", 10), ReadOption("--runs", 200),
        ReadOption("--compiles", 20), only >= 0 && only + 1 < args.Length ? args[only + 1] : null);
}
if (mode is "starts")
{
    int only = Array.IndexOf(args, "--only");
    return await NotebookGateway.Bench.WarmStartBenchmark.RunAsync(Environment.CurrentDirectory, ReadOption("--starts", 10), ReadOption("--concurrent", 30),
        only >= 0 && only + 1 < args.Length ? args[only + 1] : null);
}
if (mode is "monitoring")
{
    return await NotebookGateway.Bench.MonitoringBenchmark.RunAsync(Environment.CurrentDirectory, ReadOption("--runs", 300), ReadOption("--loops", 5), ReadOption("--samples", 50));
}
if (mode is "egress")
{
    return await NotebookGateway.Bench.EgressBenchmark.RunAsync(Environment.CurrentDirectory, ReadOption("--downloads", 5), ReadOption("--requests", 300), ReadOption("--tunnels", 1000),
        !args.Contains("--copy"), ReadOption("--buffer", 256 * 1024));
}
if (mode is "soak")
{
    int owner = Array.IndexOf(args, "--owner");
    return await NotebookGateway.Bench.SoakBenchmark.RunAsync(Environment.CurrentDirectory, ReadOption("--minutes", 30), ReadOption("--warmup-seconds", 60), ReadOption("--users", 20), ReadOption("--seed", 1),
        ReadOption("--sample-seconds", 30), owner >= 0 && owner + 1 < args.Length ? args[owner + 1] : "nbgw-bench-soak");
}
if (mode is "readopt")
{
    int counts = Array.IndexOf(args, "--counts");
    string list = counts >= 0 && counts + 1 < args.Length ? args[counts + 1] : "1,50,200";
    return await NotebookGateway.Bench.ReadoptBenchmark.RunAsync(list.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList(), podman);
}
if (mode is "users")
{
    return await NotebookGateway.Bench.UsersBenchmark.RunAsync(Environment.CurrentDirectory, ReadOption("--kernels", 100), ReadOption("--users", 10),
        ReadOption("--concurrent-users", 20), ReadOption("--concurrent-runs", 100), ReadOption("--idle-timeout", 30));
}
return 0;

int ReadOption(string name, int fallback)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

static async Task ExecuteRoundTripAsync(int runs)
{
    const int warmup = 50;
    foreach (string transport in new[] { "ipc", "tcp" })
    {
        await using var context = new ZmqContext();
        await using LocalIpyKernel kernel = await LocalIpyKernel.StartAsync(transport);
        double[] ours;
        await using (KernelClient client = await KernelClient.ConnectAsync(kernel.Connection, context.Reactor))
        {
            await client.WaitForReadyAsync(TimeSpan.FromSeconds(60));
            ours = new double[runs];
            for (int i = 0; i < warmup + runs; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await client.ExecuteAsync("1");
                if (i >= warmup)
                {
                    ours[i - warmup] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }
        }
        string file = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        await kernel.Connection.SaveAsync(file);
        string json = await RunPythonAsync("jupyter_client_execute_rtt.py", file, runs.ToString(CultureInfo.InvariantCulture), warmup.ToString(CultureInfo.InvariantCulture));
        File.Delete(file);
        double[] theirs = JsonSerializer.Deserialize<double[]>(json)!;
        Console.WriteLine($"execute `1` round trip, local ipykernel over {transport}, {runs} runs:");
        Console.WriteLine($"  NotebookGateway KernelClient    p50 {Percentile(ours, 50):0.000} ms  p99 {Percentile(ours, 99):0.000} ms");
        Console.WriteLine($"  jupyter_client blocking client  p50 {Percentile(theirs, 50):0.000} ms  p99 {Percentile(theirs, 99):0.000} ms");
    }
}

static async Task PingPongAsync(int count)
{
    const int size = 1024;
    using var temp = new TempDirectory("pp");
    await using var context = new ZmqContext();
    await using ZmqSocket router = context.CreateSocket(ZmqSocketType.Router);
    await using ZmqSocket dealer = context.CreateSocket(ZmqSocketType.Dealer);
    string endpoint = "ipc://" + temp.Combine("pp");
    await router.BindAsync(endpoint);
    await dealer.ConnectAsync(endpoint);
    var payload = new ZmqMessage(new byte[size]);
    using var stop = new CancellationTokenSource();
    Task echo = Task.Run(async () =>
    {
        try
        {
            while (true)
            {
                await router.SendAsync(await router.ReceiveAsync(stop.Token));
            }
        }
        catch (OperationCanceledException)
        {
        }
    });
    for (int i = 0; i < 1000; i++)
    {
        await dealer.SendAsync(payload);
        await dealer.ReceiveAsync();
    }
    long start = Stopwatch.GetTimestamp();
    for (int i = 0; i < count; i++)
    {
        await dealer.SendAsync(payload);
        await dealer.ReceiveAsync();
    }
    double ours = count / Stopwatch.GetElapsedTime(start).TotalSeconds;

    // Pipelined: many messages in flight, which is how a gateway relays iopub traffic.
    const int window = 64;
    start = Stopwatch.GetTimestamp();
    for (int i = 0; i < count; i += window)
    {
        for (int j = 0; j < window; j++)
        {
            _ = dealer.SendAsync(payload);
        }
        for (int j = 0; j < window; j++)
        {
            await dealer.ReceiveAsync();
        }
    }
    double pipelined = count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    await stop.CancelAsync();
    await echo;

    double theirs = double.Parse(await RunPythonAsync("pyzmq_pingpong.py", count.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
    Console.WriteLine($"ROUTER/DEALER ping-pong over ipc, 1 KiB, {count} round trips:");
    Console.WriteLine($"  NotebookGateway.Zmq (async, reactor thread)  {ours:N0} round trips/s");
    Console.WriteLine($"  pyzmq (synchronous, one thread)             {theirs:N0} round trips/s");
    Console.WriteLine($"  NotebookGateway.Zmq, 64 in flight           {pipelined:N0} round trips/s");
}

static double Percentile(double[] samples, double percentile) => NotebookGateway.Bench.Stats.Percentile(samples, percentile);

static async Task<string> RunPythonAsync(string script, params string[] arguments)
{
    string path = Path.Combine(AppContext.BaseDirectory, "scripts", script);
    var start = new ProcessStartInfo(LocalIpyKernel.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    start.ArgumentList.Add(path);
    foreach (string argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }
    using Process process = Process.Start(start)!;
    Task<string> output = process.StandardOutput.ReadToEndAsync();
    Task<string> error = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{script} failed: {await error}");
    }
    return (await output).Trim();
}
