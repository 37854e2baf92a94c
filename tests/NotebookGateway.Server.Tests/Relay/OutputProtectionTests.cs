using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Relay;

/// <summary>Issue 4 §5 and catalogue R13/R15: runaway output on the streaming path, against the real gateway and kernel.</summary>
[Collection(LimitsGatewayCollection.Name)]
public sealed class OutputProtectionTests(LimitsGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Cell_PrintingFarBeyondTheCap_GetsOneNoticeAndTheGatewayStaysSmall()
    {
        KernelSocket socket = await ConnectAsync(await StartKernelAsync());
        long rssBefore = ResidentBytes(Gateway.ProcessId);

        // About 40 MiB of output in 8 KiB lines, against a 1 MiB cap per cell.
        ExecuteResult flood = await socket.ExecuteAsync("import sys\nfor i in range(5000):\n    sys.stdout.write('x' * 8191 + '\\n')\n    sys.stdout.flush()", TestTimeouts.Step * 4);

        long received = flood.IOPub.Where(f => f.MsgType == "stream" && f.ContentText("name") == "stdout").Sum(f => (long)(f.ContentText("text")?.Length ?? 0));
        var notices = flood.IOPub.Where(f => f.MsgType == "stream" && f.ContentText("name") == "stderr").ToList();
        Assert.Equal("ok", flood.Status);
        Assert.InRange(received, 1, LimitsGatewayFixture.OutputBytesPerCell);
        ReceivedFrame notice = Assert.Single(notices);
        Assert.Contains("output truncated", notice.ContentText("text"), StringComparison.Ordinal);
        Assert.Equal(flood.MsgId, notice.ParentMsgId);
        long growth = ResidentBytes(Gateway.ProcessId) - rssBefore;
        Assert.True(growth < 64L << 20, $"the gateway grew by {growth >> 20} MiB while relaying a flood");

        ExecuteResult next = await socket.ExecuteAsync("print('still here')");
        Assert.Equal("still here\n", next.Stdout);
    }

    [Fact]
    public async Task Kernel_SendingAnOversizeMessage_IsDroppedWithANoticeInTheCell()
    {
        KernelSocket socket = await ConnectAsync(await StartKernelAsync());

        // One 3 MB display message: above the 2 MiB message limit, below libzmq's hard cap (twice the limit).
        ExecuteResult result = await socket.ExecuteAsync("from IPython.display import display\ndisplay({'text/plain': 'y' * 3_000_000}, raw=True)\nprint('after')", TestTimeouts.Step * 2);

        Assert.DoesNotContain(result.IOPub, f => f.MsgType == "display_data");
        ReceivedFrame notice = Assert.Single(result.IOPub, f => f.MsgType == "stream" && f.ContentText("name") == "stderr");
        Assert.Contains("output dropped", notice.ContentText("text"), StringComparison.Ordinal);
        Assert.Equal("after\n", result.Stdout);
        ExecuteResult next = await socket.ExecuteAsync("6*7");
        Assert.Equal("42", next.ResultText);
    }

    private static long ResidentBytes(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }
}
