using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace NotebookGateway.Bench;

/// <summary>
/// Issue 13's numbers. Two gateways one after the other, with and without the syscall signals (kernels behind the
/// logging seccomp filter, the audit subscriber): the execute round trip of `1`, and cells of 100k <c>getpid</c> and
/// 100k <c>open</c>/<c>close</c> calls timed inside the kernel. Then, with signals on, the time from a denied
/// <c>ptrace</c> (its wall time, printed by the cell) to its event in the timeline (the gateway's time of record).
/// </summary>
internal static class MonitoringBenchmark
{
    private const string GetpidLoop = "import os, time\nt = time.perf_counter()\nfor _ in range(100000):\n    os.getpid()\nprint(time.perf_counter() - t)";
    private const string OpenLoop = "import os, time\nt = time.perf_counter()\nfor _ in range(100000):\n    os.close(os.open('/etc/hostname', os.O_RDONLY))\nprint(time.perf_counter() - t)";

    public static async Task<int> RunAsync(string repositoryRoot, int runs, int loops, int samples)
    {
        Console.WriteLine($"monitoring benchmark: execute `1` x {runs}, 100k-syscall cells x {loops}, behaviour-to-event x {samples}");
        var results = new Dictionary<bool, (double P50, double P99, double Getpid, double Open)>();
        // Alternating order would need 4 gateways; each variant gets the same warm-up instead.
        foreach (bool signals in new[] { false, true, false, true })
        {
            results[signals] = Best(results.GetValueOrDefault(signals), await MeasureAsync(repositoryRoot, signals, runs, loops));
        }
        foreach ((bool signals, var r) in results.OrderBy(p => p.Key))
        {
            Console.WriteLine($"  signals {(signals ? "on " : "off")}: execute p50 {r.P50:0.00} ms p99 {r.P99:0.00} ms; 100k getpid {r.Getpid * 1000:0.0} ms; 100k open+close {r.Open * 1000:0.0} ms");
        }
        (var off, var on) = (results[false], results[true]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  overhead: execute p50 {Percent(on.P50, off.P50)}, getpid loop {Percent(on.Getpid, off.Getpid)}, open loop {Percent(on.Open, off.Open)}"));
        await LatencyAsync(repositoryRoot, samples);
        return 0;
    }

    private static (double, double, double, double) Best((double P50, double P99, double Getpid, double Open) a, (double P50, double P99, double Getpid, double Open) b) =>
        a.P50 == 0 ? b : (Math.Min(a.P50, b.P50), Math.Min(a.P99, b.P99), Math.Min(a.Getpid, b.Getpid), Math.Min(a.Open, b.Open));

    private static string Percent(double on, double off) => string.Create(CultureInfo.InvariantCulture, $"{(on / off - 1) * 100:+0.0;-0.0} %");

    private static Task<(double P50, double P99, double Getpid, double Open)> MeasureAsync(string root, bool signals, int runs, int loops) =>
        WithKernelAsync(root, new Dictionary<string, string> { ["NBGW_Sandbox__SyscallSignals"] = signals ? "true" : "false" }, async (socket, _, _) =>
        {
            for (int i = 0; i < 50; i++)
            {
                await socket.ExecuteAsync("1", Limits.Step);
            }
            var times = new double[runs];
            for (int i = 0; i < runs; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await socket.ExecuteAsync("1", Limits.Step);
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            double getpid = double.MaxValue, open = double.MaxValue;
            for (int i = 0; i < loops; i++)
            {
                getpid = Math.Min(getpid, double.Parse(await socket.ExecuteAsync(GetpidLoop, Limits.Step), CultureInfo.InvariantCulture));
                open = Math.Min(open, double.Parse(await socket.ExecuteAsync(OpenLoop, Limits.Step), CultureInfo.InvariantCulture));
            }
            return (Stats.Percentile(times, 50), Stats.Percentile(times, 99), getpid, open);
        });

    /// <summary>A gateway with <paramref name="settings"/>, one python3 kernel on it and a ready channels socket for <paramref name="body"/>.</summary>
    private static async Task<T> WithKernelAsync<T>(string root, Dictionary<string, string> settings, Func<ChannelSocket, KernelRest, string, Task<T>> body)
    {
        await using BenchServer server = await BenchServer.StartGatewayAsync(root, settings);
        using var rest = new KernelRest(server.BaseUri, server.Token);
        var live = new List<string>();
        string id = await rest.StartKernelAsync(live);
        try
        {
            await using ChannelSocket socket = await ChannelSocket.ConnectAsync(server.BaseUri, server.Token, id);
            await socket.KernelInfoAsync(Limits.KernelStart);
            return await body(socket, rest, id);
        }
        finally
        {
            await rest.DeleteKernelAsync(id, live, throwOnFailure: false);
        }
    }

    /// <summary>Each ptrace is timed in the cell; its event's time is the gateway's, on the same host clock.</summary>
    private static Task LatencyAsync(string root, int samples) =>
        WithKernelAsync(root, new Dictionary<string, string> { ["NBGW_Monitoring__CoalesceSeconds"] = "0" }, async (socket, rest, id) =>
        {
            string stdout = await socket.ExecuteAsync(
                $"import ctypes, time\nlibc = ctypes.CDLL(None)\nfor _ in range({samples}):\n    t = time.time()\n    libc.ptrace(0, 0, 0, 0)\n    print(repr(t))\n    time.sleep(0.02)",
                Limits.Step);
            double[] called = [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l, CultureInfo.InvariantCulture))];
            double[] recorded = [];
            var deadline = Stopwatch.StartNew();
            while (recorded.Length < called.Length && deadline.Elapsed < Limits.Step)
            {
                using JsonDocument events = JsonDocument.Parse(await rest.GetStringAsync($"api/kernels/{id}/events?limit=10000"));
                recorded = [.. events.RootElement.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "ptrace")
                    .Select(e => e.GetProperty("time").GetDateTimeOffset().ToUnixTimeMilliseconds() / 1000.0)];
                await Task.Delay(100);
            }
            if (recorded.Length != called.Length)
            {
                throw new InvalidOperationException($"{called.Length} ptrace calls, {recorded.Length} events");
            }
            double[] latency = [.. called.Zip(recorded, (c, r) => (r - c) * 1000)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  behaviour to timeline event ({latency.Length} denied ptrace calls): p50 {Stats.Percentile(latency, 50):0.00} ms, p99 {Stats.Percentile(latency, 99):0.00} ms, max {latency.Max():0.00} ms"));
            return 0;
        });
}
