using System.Text;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Tests.Relay;

/// <summary>The streaming-path output protection, on a virtual clock.</summary>
public sealed class OutputLimiterTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly JupyterMessage _cell = JupyterMessage.Create(MessageTypes.ExecuteRequest, "{\"code\":\"x\"}"u8.ToArray(), "client", "u");

    private JupyterMessage Output(int bytes) => JupyterMessage.Create(
        MessageTypes.Stream,
        Encoding.UTF8.GetBytes("{\"name\":\"stdout\",\"text\":\"" + new string('x', bytes) + "\"}"),
        "kernel", "k", _cell);

    private JupyterMessage Status(string state) => JupyterMessage.Create(
        MessageTypes.Status, Encoding.UTF8.GetBytes("{\"execution_state\":\"" + state + "\"}"), "kernel", "k", _cell);

    [Fact]
    public void ShouldForward_CellOverByteCap_OneNoticeInTheCellThenDropsEverything()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = 10_000, IOPubMessagesPerSecond = 100_000, IOPubBytesPerSecond = 100_000_000 }, _time);
        int forwarded = 0;
        var notices = new List<JupyterMessage>();

        for (int i = 0; i < 100; i++)
        {
            if (limiter.ShouldForward(Output(1000), knownParent: true, out JupyterMessage? notice))
            {
                forwarded++;
            }
            if (notice is not null)
            {
                notices.Add(notice);
            }
        }

        Assert.InRange(forwarded, 9, 10);
        JupyterMessage only = Assert.Single(notices);
        Assert.Equal(_cell.MsgId, only.ParentMsgId);
        Assert.Equal("stderr", only.GetContentString("name"));
        Assert.Contains("output truncated", only.GetContentString("text"), StringComparison.Ordinal);
        Assert.Equal(100 - forwarded, limiter.Dropped);
        Assert.True(limiter.ShouldForward(Status(ExecutionStates.Idle), knownParent: true, out _), "status always passes");
    }

    [Fact]
    public void ShouldForward_RateAboveLimit_NoticeThenDropUntilTheGatewayEndsTheCell()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = long.MaxValue, IOPubMessagesPerSecond = 10, IOPubBytesPerSecond = 1_000_000, RateWindowSeconds = 1 }, _time);
        var results = Enumerable.Range(0, 30).Select(_ => limiter.ShouldForward(Output(10), knownParent: true, out JupyterMessage? n) ? "ok" : n is null ? "drop" : "notice").ToList();

        Assert.Equal(10, results.Count(r => r == "ok"));
        Assert.Equal(1, results.Count(r => r == "notice"));
        Assert.False(limiter.ShouldForward(Output(10), knownParent: true, out _));
        // The kernel claims to be idle (code in it can publish that): nothing resets.
        Assert.True(limiter.ShouldForward(Status(ExecutionStates.Idle), knownParent: true, out _));
        Assert.False(limiter.ShouldForward(Output(10), knownParent: true, out _));
        // The gateway matched the cell's execute_reply: counters reset, output flows again.
        limiter.OnCellEnded(_cell.MsgId);
        Assert.True(limiter.ShouldForward(Output(10), knownParent: true, out _));
    }

    [Fact]
    public void ShouldForward_RateFallsBelowEightyPercent_ResumesInTheNextWindow()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = long.MaxValue, IOPubMessagesPerSecond = 10, IOPubBytesPerSecond = 1_000_000, RateWindowSeconds = 1 }, _time);
        for (int i = 0; i < 20; i++)
        {
            limiter.ShouldForward(Output(10), knownParent: true, out _);
        }
        Assert.False(limiter.ShouldForward(Output(10), knownParent: true, out _));

        _time.Advance(TimeSpan.FromSeconds(1.5));
        _time.Advance(TimeSpan.FromSeconds(1.5)); // a quiet window

        Assert.True(limiter.ShouldForward(Output(10), knownParent: true, out _));
    }

    [Fact]
    public void ShouldForward_ManyCells_StateStaysBounded()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = 100 }, _time);
        for (int i = 0; i < 1000; i++)
        {
            JupyterMessage cell = JupyterMessage.Create(MessageTypes.ExecuteRequest, "{}"u8.ToArray(), "c", "u");
            Assert.True(limiter.ShouldForward(OutputIn(cell), knownParent: true, out _));
            limiter.OnCellEnded(cell.MsgId);
        }

        Assert.InRange(limiter.TrackedCells, 1, 256);
    }

    [Fact]
    public void ShouldForward_OutputArrivingAfterTheReply_StillCountsAgainstTheCellsCap()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = 10_000, IOPubMessagesPerSecond = 100_000, IOPubBytesPerSecond = 100_000_000 }, _time);
        for (int i = 0; i < 5; i++)
        {
            Assert.True(limiter.ShouldForward(Output(1000), knownParent: true, out _));
        }

        // The reply came on shell while the rest of the cell's output is still queued on iopub.
        limiter.OnCellEnded(_cell.MsgId);
        int forwarded = Enumerable.Range(0, 20).Count(i => limiter.ShouldForward(Output(1000), knownParent: true, out _));

        Assert.InRange(forwarded, 4, 5); // 10,000 bytes in all, not 10,000 more
    }

    [Fact]
    public void ShouldForward_OutputUnderParentsNeverSent_SharesOneCapAndOneEntry()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = 1000, IOPubMessagesPerSecond = 1_000_000, IOPubBytesPerSecond = 1_000_000_000 }, _time);
        int forwarded = 0;
        for (int i = 0; i < 10_000; i++)
        {
            // A new invented parent each time, as a kernel dodging the per-cell cap would send.
            JupyterMessage invented = JupyterMessage.Create(MessageTypes.ExecuteRequest, "{}"u8.ToArray(), "c", "u");
            forwarded += limiter.ShouldForward(OutputIn(invented), knownParent: false, out _) ? 1 : 0;
        }

        Assert.InRange(forwarded, 1, 40); // 1000 bytes of ~33-byte messages, then the shared cap
        Assert.Equal(1, limiter.TrackedCells);
    }

    [Fact]
    public void ShouldForward_ManyKnownParentsNeverEnding_TableStaysBounded()
    {
        var limiter = new OutputLimiter(new ChannelOptions { OutputBytesPerCell = 1000 }, _time);
        for (int i = 0; i < 5000; i++)
        {
            limiter.ShouldForward(OutputIn(JupyterMessage.Create(MessageTypes.ExecuteRequest, "{}"u8.ToArray(), "c", "u")), knownParent: true, out _);
        }

        Assert.InRange(limiter.TrackedCells, 1, 256);
    }

    private static JupyterMessage OutputIn(JupyterMessage cell) =>
        JupyterMessage.Create(MessageTypes.Stream, "{\"name\":\"stdout\",\"text\":\"hi\"}"u8.ToArray(), "k", "k", cell);
}
