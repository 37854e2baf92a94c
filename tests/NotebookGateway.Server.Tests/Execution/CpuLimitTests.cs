using System.Diagnostics;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Execution;

/// <summary>Issue 5 item 5: the CPU budget per window, measured from the sandbox's cgroup, on a real kernel.</summary>
[Collection(CpuLimitGatewayCollection.Name)]
public sealed class CpuLimitTests(CpuLimitGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task CpuBudget_Spent_CellInterruptedThenExecutesRefusedUntilTheWindowFrees()
    {
        KernelSocket socket = await ConnectAsync(await StartKernelAsync());
        var clock = Stopwatch.StartNew();

        ExecuteResult loop = await socket.ExecuteAsync("while True: pass", TestTimeouts.Step);

        Assert.Equal("KeyboardInterrupt", loop.ErrorName);
        ReceivedFrame stopped = Assert.Single(loop.IOPub, f => f.MsgType == "stream" && f.ContentText("name") == "stderr");
        Assert.Equal(loop.MsgId, stopped.ParentMsgId);
        Assert.Contains($"used more than {CpuLimitGatewayFixture.CpuSeconds} s of CPU time in the last {CpuLimitGatewayFixture.WindowSeconds} s; the kernel was interrupted",
            stopped.ContentText("text"), StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(CpuLimitGatewayFixture.CpuSeconds - 0.5), $"stopped after {clock.Elapsed}, before 2 CPU seconds could be used");

        ExecuteResult refused = await socket.ExecuteAsync("print('should not run')");
        Assert.Equal("error", refused.Status);
        Assert.Equal("ExecutionRefused", refused.Reply.ContentText("ename"));
        Assert.Equal("", refused.Stdout);
        ReceivedFrame notice = Assert.Single(refused.IOPub, f => f.MsgType == "stream" && f.ContentText("name") == "stderr");
        Assert.Contains("[execution refused: this kernel used its 2 s of CPU time in the last 8 s; try again in", notice.ContentText("text"), StringComparison.Ordinal);

        // The kernel is idle now: once the busy seconds leave the 8 s window, cells run again.
        var idle = Stopwatch.StartNew();
        ExecuteResult? ran = null;
        await GatewayRest.EventuallyAsync(async () =>
        {
            ExecuteResult attempt = await socket.ExecuteAsync("print('runs again')");
            ran = attempt.Status == "ok" ? attempt : null;
            return (ran is not null, attempt.Status + " " + attempt.Reply.ContentText("evalue"));
        }, TimeSpan.FromSeconds(CpuLimitGatewayFixture.WindowSeconds * 3), "an execute accepted again");
        Assert.Equal("runs again\n", ran!.Stdout);
        // The budget frees only once the start of the busy loop has left the window (however long the loop took in
        // wall time on a shared machine): a window after the loop began, less one sample of slack.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(CpuLimitGatewayFixture.WindowSeconds - 1),
            $"accepted again {clock.Elapsed} after the loop began ({idle.Elapsed} after the refusal), before the loop's CPU seconds could have left the window");
    }
}
