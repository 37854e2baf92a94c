using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using NotebookGateway.Testing;

namespace NotebookGateway.Bench;

/// <summary>
/// Issue 14's re-adoption numbers on the real gateway: N python3 kernels running, the gateway SIGKILLed and started
/// again on the same state. Reports the new process's time to its "listening" line (every kernel is taken back before
/// it listens) and the reconciliation's own time from its log, the gap a connected client sees (from the kill to its
/// first kernel_info_reply over a reconnected websocket, reconnecting as fast as it can), and checks that all N answer.
/// Then the graceful stop with the N kernels: its time from SIGTERM to exit, and the containers it left (and how many
/// of them were still running).
/// </summary>
internal static partial class ReadoptBenchmark
{
    private const int StartParallelism = 8;

    public static async Task<int> RunAsync(IReadOnlyList<int> counts, bool podman)
    {
        int failures = 0;
        Console.WriteLine($"engine: {(podman ? "Podman" : "Docker")}");
        foreach (int count in counts)
        {
            failures += await RunOnceAsync(count, podman);
        }
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> RunOnceAsync(int count, bool podman)
    {
        string limit = (count + 10).ToString(CultureInfo.InvariantCulture);
        var settings = new Dictionary<string, string>
        {
            ["Quotas:Default:MaxKernels"] = limit,
            ["Quotas:Default:MaxMemoryMiB"] = "0",
            ["Quotas:Default:MaxCpus"] = "0",
            ["Quotas:Default:MaxWorkspaceMiB"] = "0",
            ["Quotas:Global:MaxKernels"] = limit,
            ["Gateway:KernelStartTimeoutSeconds"] = "300",
            ["Sandbox:Engine"] = podman ? "Podman" : "Docker",
        };
        GatewayProcess gateway = await GatewayProcess.StartAsync(settings);
        try
        {
            using var rest = new KernelRest(gateway.BaseUri, gateway.Token);
            var ids = new List<string>();
            var started = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = StartParallelism }, async (_, _) =>
            {
                var mine = new List<string>();
                await rest.StartKernelAsync(mine);
                lock (ids)
                {
                    ids.AddRange(mine);
                }
            });
            Console.WriteLine($"readopt N={count}: {count} kernels started in {started.Elapsed.TotalSeconds:0.0} s");

            await using (ChannelSocket before = await ChannelSocket.ConnectAsync(gateway.BaseUri, gateway.Token, ids[0]))
            {
                await before.KernelInfoAsync(TimeSpan.FromSeconds(30));
            }

            var sinceKill = Stopwatch.StartNew();
            Task<GatewayProcess> restarting = gateway.RestartAsync(graceful: false);
            TimeSpan gap = await ReconnectAsync(gateway, ids[0], sinceKill, TimeSpan.FromMinutes(5));
            gateway = await restarting;

            Match readopted = ReadoptedLine().Match(gateway.Output);
            int answered = 0;
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, _) =>
            {
                await using ChannelSocket socket = await ChannelSocket.ConnectAsync(gateway.BaseUri, gateway.Token, id);
                await socket.KernelInfoAsync(TimeSpan.FromSeconds(30));
                Interlocked.Increment(ref answered);
            });
            Console.WriteLine($"readopt N={count}: start to listening {gateway.StartupDuration.TotalMilliseconds:0} ms "
                + $"(reconciliation {(readopted.Success ? readopted.Groups["ms"].Value : "?")} ms, {(readopted.Success ? readopted.Groups["running"].Value : "?")} taken back running), "
                + $"client gap kill → kernel_info_reply {gap.TotalMilliseconds:0} ms, {answered}/{count} kernels answer");
            return answered == count && readopted.Success && readopted.Groups["running"].Value == count.ToString(CultureInfo.InvariantCulture) ? 0 : 1;
        }
        finally
        {
            // The graceful stop (SIGTERM, Sandbox:OnStop = RemoveKernels): how long it takes, and what it leaves.
            string outcome;
            try
            {
                await gateway.StopAsync();
                outcome = "exited";
            }
            catch (GatewayStopException ex)
            {
                outcome = ex.Message.Split('\n')[0];
            }
            GatewayExit exit = await gateway.StopAsync(); // the recorded exit, also after a failed stop
            int running = exit.LeftoverContainers.Count(c => c.State == "running");
            Console.WriteLine($"readopt N={count}: graceful stop {outcome} ({exit.StopDuration.TotalSeconds:0.0} s); "
                + $"{exit.LeftoverContainers.Count} containers left, {running} of them running");
        }
    }

    /// <summary>A client reconnecting as fast as it can: the time from the kill until the kernel answers it again.</summary>
    private static async Task<TimeSpan> ReconnectAsync(GatewayProcess gateway, string kernelId, Stopwatch sinceKill, TimeSpan within)
    {
        while (true)
        {
            try
            {
                await using ChannelSocket socket = await ChannelSocket.ConnectAsync(gateway.BaseUri, gateway.Token, kernelId);
                await socket.KernelInfoAsync(TimeSpan.FromSeconds(5));
                return sinceKill.Elapsed;
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or HttpRequestException or TimeoutException or OperationCanceledException)
            {
                if (sinceKill.Elapsed > within)
                {
                    throw new TimeoutException($"kernel {kernelId} did not answer within {within.TotalSeconds:0} s of the kill", ex);
                }
                await Task.Delay(20); // reconnect pacing of a client, not synchronisation
            }
        }
    }

    [GeneratedRegex(@"Re-adoption: (?<running>\d+) kernel\(s\) taken back running, \d+ dead \(reason kept\), \d+ dropped, in (?<ms>\d+) ms")]
    private static partial Regex ReadoptedLine();
}
