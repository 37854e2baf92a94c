using System.Globalization;
using System.Net;
using NotebookGateway.Server.Tests.Metrics;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Execution;

/// <summary>
/// Issue 5 item 6: /metrics after kernels started, ran cells (ok, error, timeout, truncated output), one died of OOM
/// and one was culled: promtool accepts every scrape, and the series are there with non-zero values.
/// </summary>
[Collection(MetricsScrapeGatewayCollection.Name)]
public sealed class MetricsScrapeTests(MetricsScrapeGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Scrape_AfterRunsAnOomDeathAndACull_PassesPromtoolWithTheSeriesSet()
    {
        string runner = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(runner); // connected at once: the culler only takes unconnected kernels
        string idle = await StartKernelAsync(); // never connected: the culler takes it after 3 s idle
        Assert.Equal("ok", (await socket.ExecuteAsync("print('x' * 30_000)")).Status);
        Assert.Equal("error", (await socket.ExecuteAsync("1/0")).Status);
        ExecuteResult loop = await socket.ExecuteAsync("while True: pass", TestTimeouts.Step);
        Assert.Equal("KeyboardInterrupt", loop.ErrorName);
        Assert.Equal("ok", (await socket.ExecuteAsync("busy = sum(range(10**7))")).Status);
        // Threads until the sandbox's pids limit refuses one, then all of them end: the kernel lives on.
        Assert.Equal("ok", (await socket.ExecuteAsync("""
            import threading
            stop, threads = threading.Event(), []
            try:
                while True:
                    t = threading.Thread(target=stop.wait); t.start(); threads.append(t)
            except RuntimeError:
                pass
            stop.set()
            for t in threads: t.join()
            """, TestTimeouts.Step)).Status);

        string first = await ScrapeAsync();
        Output.WriteLine(first);
        await Promtool.AssertValidAsync(first);
        Assert.True(Value(first, "kernels_running_by_user", "kernel_name=\"python3\"", "user=\"default\"") >= 1, "kernels_running_by_user\n" + first);
        Assert.True(Value(first, "sandbox_memory_bytes", $"kernel_id=\"{runner}\"") > 1 << 20, "sandbox_memory_bytes of the runner\n" + first);
        Assert.True(Value(first, "sandbox_cpu_seconds_total", $"kernel_id=\"{runner}\"") > 1, "sandbox_cpu_seconds_total of the runner\n" + first);
        Assert.True(Value(first, "sandbox_pids_limit_hits_total", $"kernel_id=\"{runner}\"") >= 1, "sandbox_pids_limit_hits_total of the runner\n" + first);
        Assert.True(Value(first, "executions_total", "outcome=\"ok\"") >= 2, "executions ok\n" + first);
        Assert.True(Value(first, "executions_total", "outcome=\"error\"") >= 1, "executions error\n" + first);
        Assert.True(Value(first, "executions_total", "outcome=\"timeout\"") >= 1, "executions timeout\n" + first);
        Assert.True(Value(first, "execution_duration_seconds_count") >= 4, "execution_duration_seconds_count\n" + first);
        Assert.True(Value(first, "execution_duration_seconds_bucket", "le=\"5\"") >= 3, "execution_duration_seconds buckets\n" + first);
        Assert.True(Value(first, "execution_timeouts_total", "limit=\"wall_clock\"") >= 1, "execution_timeouts_total\n" + first);
        Assert.True(Value(first, "output_truncations_total") >= 1, "output_truncations_total\n" + first);
        Assert.True(Value(first, "kernel_starts_total", "outcome=\"ok\"") >= 2, "kernel_starts_total\n" + first);

        // One kernel dies of OOM, the idle one is culled.
        string victim = await StartKernelAsync();
        KernelSocket victimSocket = await ConnectAsync(victim);
        await victimSocket.SendAsync(JupyterMessages.ExecuteRequest(victimSocket.SessionId, "x = bytearray(10 * 2**30)"));
        await victimSocket.WaitForAsync(f => f.MsgType == "status" && f.ContentText("execution_state") == "dead", TestTimeouts.Step, "the OOM death");
        await GatewayRest.EventuallyAsync(async () =>
        {
            HttpStatusCode status = (await GatewayRest.GetAsync(Gateway, $"api/kernels/{idle}")).Status;
            return (status == HttpStatusCode.NotFound, status.ToString());
        }, TestTimeouts.Step, "the idle kernel culled");

        string second = await ScrapeAsync();
        await Promtool.AssertValidAsync(second);
        Assert.True(Value(second, "kernel_deaths_total", "cause=\"oom\"") >= 1, "kernel_deaths_total oom\n" + second);
        Assert.True(Value(second, "kernels_culled_total", "cause=\"idle\"") >= 1, "kernels_culled_total\n" + second);
        Assert.DoesNotContain($"kernel_id=\"{idle}\"", second, StringComparison.Ordinal); // gone kernels leave the per-kernel gauges
        Assert.Equal(0, Value(second, "nbgw_metrics_series_dropped_total"));
    }

    private async Task<string> ScrapeAsync()
    {
        RestResponse scrape = await GatewayRest.GetAsync(Gateway, "metrics");
        GatewayRest.ExpectStatus(scrape, HttpStatusCode.OK, Gateway);
        return scrape.Body;
    }

    /// <summary>The largest sample of <paramref name="name"/> whose labels contain every one of <paramref name="labels"/>; 0 when none.</summary>
    private static double Value(string exposition, string name, params string[] labels)
    {
        double best = 0;
        foreach (string line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !(line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal)))
            {
                continue;
            }
            int space = line.LastIndexOf(' ');
            string series = line[..space];
            if (labels.All(l => series.Contains(l, StringComparison.Ordinal)))
            {
                best = Math.Max(best, double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
            }
        }
        return best;
    }
}
