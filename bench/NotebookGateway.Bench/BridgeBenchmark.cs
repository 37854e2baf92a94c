using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Testing;
using NotebookGateway.Zmq;

namespace NotebookGateway.Bench;

/// <summary>
/// <c>bridge</c>: the kernelspec bridge against Debian's local ipykernel, through the same tool (jupyter_client's
/// blocking client). Kernelspecs are installed from the gateway with the bridge set-up published (artifacts/bridge);
/// local and bridged kernels alternate start by start and execute by execute. For the bridge's own share, the same
/// gateway kernel type is also timed over the channels websocket directly (the C# client of the gateway mode).
/// </summary>
internal static class BridgeBenchmark
{
    public static async Task<int> RunAsync(string repositoryRoot, int runs, int starts)
    {
        string bridge = Path.Combine(repositoryRoot, "artifacts", "bridge", "NotebookGateway.Bridge.dll");
        if (!File.Exists(bridge))
        {
            Console.Error.WriteLine($"The published bridge is missing ({bridge}): run bash scripts/setup.sh");
            return 1;
        }
        const int warmup = 50;
        await using BenchServer gateway = await BenchServer.StartGatewayAsync(repositoryRoot, new Dictionary<string, string>
        {
            ["RateLimits:KernelStartsPerMinute"] = "0",
            ["RateLimits:ExecuteRequestsPerMinute"] = "0",
            ["RateLimits:WebSocketConnectionsPerMinute"] = "0",
        });
        using var jupyter = new TempDirectory("nbgw-bench-bridge");
        string tokenFile = jupyter.Combine("token");
        await File.WriteAllTextAsync(tokenFile, gateway.Token);
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var environment = new Dictionary<string, string>
        {
            ["JUPYTER_PATH"] = jupyter.Combine("prefix/share/jupyter"),
            ["JUPYTER_DATA_DIR"] = jupyter.Combine("data"),
            ["JUPYTER_RUNTIME_DIR"] = jupyter.Combine("runtime"),
            ["JUPYTER_CONFIG_DIR"] = jupyter.Combine("config"),
            ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1",
        };
        await RunAsync("dotnet", [bridge, "kernelspecs", "install", "--url", gateway.BaseUri.AbsoluteUri, "--token-file", tokenFile, "--prefix", jupyter.Combine("prefix")],
            environment, jupyter.Path);

        string script = Path.Combine(AppContext.BaseDirectory, "scripts", "bridge_bench.py");
        string json = await RunAsync(LocalIpyKernel.Python, [script, "python3", "sandboxed-python3",
            runs.ToString(CultureInfo.InvariantCulture), warmup.ToString(CultureInfo.InvariantCulture), starts.ToString(CultureInfo.InvariantCulture)],
            environment, jupyter.Path);
        using JsonDocument results = JsonDocument.Parse(json.Trim().Split('\n')[^1]);
        double[] Samples(string spec, string what) => results.RootElement.GetProperty(spec).GetProperty(what).EnumerateArray().Select(e => e.GetDouble()).ToArray();

        // The bridge's own share: the same C# ZMQ client (KernelClient) through a bridge process, against the same
        // sandboxed kernel type over the channels websocket directly, interleaved execute by execute.
        using var rest = new KernelRest(gateway.BaseUri, gateway.Token);
        var live = new List<string>();
        string kernel = await rest.StartKernelAsync(live);
        double[] direct = new double[runs];
        double[] viaBridge = new double[runs];
        ConnectionInfo connection = ConnectionInfo.CreateTcp();
        string connectionFile = jupyter.Combine("runtime-kernel.json");
        await connection.SaveAsync(connectionFile);
        using Process bridgeProcess = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { bridge, "kernel", "--connection-file", connectionFile, "--url", gateway.BaseUri.AbsoluteUri, "--spec", "python3", "--token-file", tokenFile },
            WorkingDirectory = jupyter.Path,
            UseShellExecute = false,
        })!;
        await using (var zmq = new ZmqContext())
        await using (KernelClient client = await KernelClient.ConnectAsync(connection, zmq.Reactor))
        await using (ChannelSocket socket = await ChannelSocket.ConnectAsync(gateway.BaseUri, gateway.Token, kernel))
        {
            await client.WaitForReadyAsync(Limits.KernelStart);
            await socket.KernelInfoAsync(Limits.KernelStart);
            for (int i = 0; i < warmup + runs; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await socket.ExecuteAsync("1", Limits.Step);
                double directMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                start = Stopwatch.GetTimestamp();
                await client.ExecuteAsync("1");
                double bridgeMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (i >= warmup)
                {
                    direct[i - warmup] = directMs;
                    viaBridge[i - warmup] = bridgeMs;
                }
            }
            await client.ShutdownAsync();
        }
        await bridgeProcess.WaitForExitAsync();
        await rest.DeleteKernelAsync(kernel, live);

        double[] localRtt = Samples("python3", "rtt_ms"), bridgedRtt = Samples("sandboxed-python3", "rtt_ms");
        double[] localStart = Samples("python3", "start_ms"), bridgedStart = Samples("sandboxed-python3", "start_ms");
        Console.WriteLine($"execute `1` round trip, jupyter_client blocking client, {runs} runs each, interleaved:");
        Console.WriteLine($"  local ipykernel (Debian's python3 kernelspec)          p50 {P(localRtt, 50):0.00} ms  p99 {P(localRtt, 99):0.00} ms");
        Console.WriteLine($"  bridged sandboxed-python3 (bridge + gateway + sandbox) p50 {P(bridgedRtt, 50):0.00} ms  p99 {P(bridgedRtt, 99):0.00} ms");
        Console.WriteLine($"the bridge's own share: C# clients against the same sandboxed kernel type, {runs} runs each, interleaved:");
        Console.WriteLine($"  KernelClient (ZMQ) through the bridge                  p50 {P(viaBridge, 50):0.00} ms  p99 {P(viaBridge, 99):0.00} ms");
        Console.WriteLine($"  channels websocket directly                            p50 {P(direct, 50):0.00} ms  p99 {P(direct, 99):0.00} ms");
        Console.WriteLine($"kernel start until kernel_info_reply, {starts} starts each, interleaved:");
        Console.WriteLine($"  local ipykernel   p50 {P(localStart, 50):0} ms  p90 {P(localStart, 90):0} ms");
        Console.WriteLine($"  bridged           p50 {P(bridgedStart, 50):0} ms  p90 {P(bridgedStart, 90):0} ms");
        return 0;
    }

    private static double P(double[] samples, double percentile) => Stats.Percentile(samples, percentile);

    private static async Task<string> RunAsync(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string directory)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}\n{await error}");
        }
        return output;
    }
}
