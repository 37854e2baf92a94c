using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace NotebookGateway.Bench;

/// <summary>
/// Issue 5's numbers: many users on one gateway. Starts <c>kernels</c> idle sandboxed kernels spread over
/// <c>users</c> users (each user's own token, default quotas), measures gateway and host memory per kernel, runs
/// <c>concurrentUsers</c> users executing `1` at the same time (p99), then lets every kernel go idle at the same
/// moment and measures how long the culler takes to shut them all down.
/// </summary>
internal static class UsersBenchmark
{
    private const int StartParallelism = 4;

    public static async Task<int> RunAsync(string repositoryRoot, int kernels, int users, int concurrentUsers, int concurrentRuns, int idleTimeoutSeconds)
    {
        int userCount = Math.Max(users, concurrentUsers);
        var tokens = Enumerable.Range(1, userCount).Select(_ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))).ToArray();
        var settings = new Dictionary<string, string>
        {
            // The default per-user quotas (10 kernels each) stay on; the benchmark's own user has none.
            ["NBGW_Quotas__Default__MaxKernels"] = "10",
            ["NBGW_Quotas__Default__MaxCpus"] = "16",
            ["NBGW_Quotas__Default__MaxMemoryMiB"] = "8192",
            ["NBGW_Culling__IdleTimeoutSeconds"] = idleTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            ["NBGW_Culling__IntervalSeconds"] = "1",
        };
        for (int i = 0; i < userCount; i++)
        {
            settings[$"NBGW_Users__{i}__Name"] = UserName(i);
            settings[$"NBGW_Users__{i}__TokenSha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tokens[i])));
        }

        Console.WriteLine($"users benchmark: {kernels} idle kernels for {users} users, {concurrentUsers} users executing `1` x {concurrentRuns} concurrently, idle timeout {idleTimeoutSeconds} s (cull interval 1 s)");
        await using BenchServer server = await BenchServer.StartGatewayAsync(repositoryRoot, settings);
        Console.WriteLine($"  {server.Description}");
        var rests = tokens.Select(t => new KernelRest(server.BaseUri, t)).ToArray();
        var owned = new List<(int User, string Id)>();
        var live = tokens.Select(_ => new List<string>()).ToArray();
        var sockets = new List<ChannelSocket>();
        try
        {
            // Warm-up: the first start runs the sandbox self-test; it is not part of the numbers.
            string warm = await rests[0].StartKernelAsync(live[0]);
            await rests[0].DeleteKernelAsync(warm, live[0]);
            await Task.Delay(TimeSpan.FromSeconds(2)); // let the warm-up container's teardown finish before the baseline
            long gatewayBefore = ResidentKiB(server.ProcessId);
            long hostBefore = HostUsedKiB();

            // Kernel i belongs to user i % users; each keeps one websocket open so nothing is culled before the measurement.
            var startTimer = Stopwatch.StartNew();
            using var gate = new SemaphoreSlim(StartParallelism);
            var lockObject = new Lock(); // guards owned, live and sockets across the parallel starts
            await Task.WhenAll(Enumerable.Range(0, kernels).Select(async i =>
            {
                int user = i % users;
                await gate.WaitAsync();
                try
                {
                    string id = await rests[user].StartKernelAsync([]);
                    ChannelSocket socket = await ChannelSocket.ConnectAsync(server.BaseUri, tokens[user], id);
                    await socket.KernelInfoAsync(Limits.KernelStart);
                    lock (lockObject)
                    {
                        live[user].Add(id);
                        owned.Add((user, id));
                        sockets.Add(socket);
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
            double startSeconds = startTimer.Elapsed.TotalSeconds;
            Console.WriteLine($"  started {kernels} kernels in {startSeconds:0.0} s ({kernels / startSeconds:0.0} per s, {StartParallelism} at a time)");
            long gatewayWithSockets = ResidentKiB(server.ProcessId);
            long hostAfter = HostUsedKiB();

            // Concurrent users: the first `users` users use one of their kernels, the others start one each.
            var executors = new List<Func<Task>>();
            for (int user = 0; user < concurrentUsers; user++)
            {
                ChannelSocket socket;
                if (user < users)
                {
                    string id = owned.First(k => k.User == user).Id;
                    socket = sockets[owned.FindIndex(k => k.Id == id)];
                }
                else
                {
                    string id = await rests[user].StartKernelAsync(live[user]);
                    socket = await ChannelSocket.ConnectAsync(server.BaseUri, tokens[user], id);
                    await socket.KernelInfoAsync(Limits.KernelStart);
                    sockets.Add(socket);
                    owned.Add((user, id));
                }
                executors.Add(() => socket.ExecuteAsync("1", Limits.Step));
            }
            (double[] concurrent, double rate) = await GatewayBenchmark.RunConcurrentlyAsync(executors, concurrentRuns);

            // Every kernel becomes idle at (about) the same moment: one execute each, then all sockets close.
            await Task.WhenAll(sockets.Select(s => s.ExecuteAsync("1", Limits.Step)));
            foreach (ChannelSocket socket in sockets)
            {
                await socket.DisposeAsync();
            }
            sockets.Clear();
            DateTimeOffset idleSince = DateTimeOffset.UtcNow;
            long gatewayIdle = ResidentKiB(server.ProcessId);
            int total = owned.Count;
            Console.WriteLine($"  {total} kernels idle since {idleSince:HH:mm:ss}; waiting for the culler");

            // Time from the idle deadline until GET /api/kernels is empty for every user.
            DateTimeOffset deadline = idleSince + TimeSpan.FromSeconds(idleTimeoutSeconds);
            DateTimeOffset? firstGone = null;
            var stopAt = deadline + TimeSpan.FromSeconds(600);
            int remaining = total;
            while (remaining > 0 && DateTimeOffset.UtcNow < stopAt)
            {
                await Task.Delay(200);
                remaining = 0;
                for (int user = 0; user < userCount; user++)
                {
                    remaining += await rests[user].CountKernelsAsync();
                }
                if (remaining < total && firstGone is null)
                {
                    firstGone = DateTimeOffset.UtcNow;
                }
            }
            DateTimeOffset allGone = DateTimeOffset.UtcNow;
            long gatewayAfterCull = ResidentKiB(server.ProcessId);

            Console.WriteLine();
            Console.WriteLine($"{kernels} idle sandboxed kernels, {users} users ({Environment.ProcessorCount} cores):");
            Console.WriteLine($"  gateway RSS: {gatewayBefore / 1024.0:0.0} MiB before, {gatewayWithSockets / 1024.0:0.0} MiB with {kernels} kernels + 1 websocket each, {gatewayIdle / 1024.0:0.0} MiB with sockets closed, {gatewayAfterCull / 1024.0:0.0} MiB after the cull");
            Console.WriteLine($"  gateway memory per kernel: {(gatewayWithSockets - gatewayBefore) / (double)kernels:0} KiB (with its websocket)");
            Console.WriteLine($"  host memory per kernel (MemTotal - MemAvailable): {(hostAfter - hostBefore) / 1024.0 / kernels:0.0} MiB");
            Console.WriteLine($"  start: {kernels} kernels in {startSeconds:0.0} s");
            Console.WriteLine($"{concurrentUsers} users executing `1` concurrently, {concurrentRuns} runs each: p50 {Stats.Percentile(concurrent, 50):0.00} ms  p99 {Stats.Percentile(concurrent, 99):0.00} ms  ({rate:0} executes/s)");
            if (remaining > 0)
            {
                Console.WriteLine($"cull: {remaining} of {total} kernels still running 600 s after the idle deadline");
                return 1;
            }
            Console.WriteLine($"cull: {total} kernels idle for {idleTimeoutSeconds} s; first gone {(firstGone!.Value - deadline).TotalSeconds:0.0} s after the deadline, all gone {(allGone - deadline).TotalSeconds:0.0} s after it (poll resolution 0.2 s)");
            return 0;
        }
        finally
        {
            foreach (ChannelSocket socket in sockets)
            {
                await socket.DisposeAsync();
            }
            for (int user = 0; user < userCount; user++)
            {
                foreach (string id in live[user].ToList())
                {
                    await rests[user].DeleteKernelAsync(id, live[user], throwOnFailure: false);
                }
                rests[user].Dispose();
            }
            await server.StopAsync();
        }
    }

    private static string UserName(int index) => $"user{index + 1:00}";

    private static long ResidentKiB(int pid) => ReadKiB($"/proc/{pid}/status", "VmRSS:");

    private static long HostUsedKiB() => ReadKiB("/proc/meminfo", "MemTotal:") - ReadKiB("/proc/meminfo", "MemAvailable:");

    private static long ReadKiB(string file, string key)
    {
        string line = File.ReadLines(file).First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
