using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Execution;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Tests.Execution;

/// <summary>The per-cell wall clock, the interrupt grace, the CPU window and the background CPU bound, on a virtual clock.</summary>
public sealed class ExecutionMonitorTests : IAsyncLifetime, IDisposable
{
    private const string Container = "0123456789abcdef";
    private readonly ManualTimeProvider _time = new();
    private readonly string _cgroupRoot = Directory.CreateTempSubdirectory("nbgw-cgroup-").FullName;
    private readonly KernelChannels _channels;
    private ClientSession _session = null!;
    private ExecutionMetrics? _metrics;
    private int _interrupts;
    private int _restarts;

    public ExecutionMonitorTests()
    {
        _channels = new KernelChannels("k1", new ChannelOptions(), _time, NullLogger.Instance);
    }

    public async Task InitializeAsync() => _session = await _channels.AttachAsync("s1", new NoConnection());

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _metrics?.Dispose(); // its meter would otherwise stay visible to exporters in other tests of this process
        Directory.Delete(_cgroupRoot, recursive: true);
    }

    [Fact]
    public void WallClock_CellPastTheLimit_InterruptedWithANoticeInTheCell()
    {
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions { WallClockSecondsPerCell = 5, InterruptGraceSeconds = 2 });
        JupyterMessage first = Request("1");
        JupyterMessage request = Request("while True: pass");
        Assert.Null(monitor.Admit(first));
        Assert.Null(monitor.Admit(request));
        // Queued time does not count: a cell's clock starts when the gateway has the reply to the cell before it.
        _time.Advance(TimeSpan.FromSeconds(4));
        monitor.OnReply(Reply(first, "ok"));

        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(0, _interrupts);
        _time.Advance(TimeSpan.FromSeconds(0.2));

        Assert.Equal(1, _interrupts);
        JupyterMessage notice = Assert.Single(Drain());
        Assert.Equal(request.MsgId, notice.ParentMsgId);
        Assert.Equal("stderr", notice.GetContentString("name"));
        Assert.Equal("[execution stopped: this cell ran longer than the 5 s limit; the kernel was interrupted]\n", notice.GetContentString("text"));

        // It stops within the grace period: no restart.
        monitor.OnReply(Reply(request, "error"));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, _restarts);
        Assert.Empty(Drain());
        Assert.Equal(0, monitor.PendingCells);
    }

    [Fact]
    public void WallClock_CellIgnoringTheInterrupt_KernelRestartedAfterTheGrace()
    {
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions { WallClockSecondsPerCell = 5, InterruptGraceSeconds = 2 });
        JupyterMessage request = Request("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass");
        monitor.Admit(request);

        _time.Advance(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Equal((1, 0), (_interrupts, _restarts));
        _time.Advance(TimeSpan.FromSeconds(0.1));

        Assert.Equal(1, _restarts);
        List<JupyterMessage> notices = Drain();
        Assert.Equal(2, notices.Count);
        Assert.All(notices, n => Assert.Equal(request.MsgId, n.ParentMsgId));
        Assert.Equal("[kernel restarted: the cell did not stop within 2 s of the interrupt]\n", notices[1].GetContentString("text"));
        monitor.OnKernelReset();
        Assert.Equal(0, monitor.PendingCells);
    }

    [Fact]
    public void WallClock_KernelspecWithATighterLimit_ItsLimitApplies()
    {
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions { WallClockSecondsPerCell = 600 }, specCellTimeoutSeconds: 30);
        JupyterMessage request = Request("while True: pass");
        monitor.Admit(request);

        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(1, _interrupts);
        Assert.Equal("[execution stopped: this cell ran longer than the 30 s limit; the kernel was interrupted]\n", Assert.Single(Drain()).GetContentString("text"));
    }

    [Fact]
    public void WallClock_Off_NeverInterrupts()
    {
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions { WallClockSecondsPerCell = 0 }, specCellTimeoutSeconds: 600);
        JupyterMessage request = Request("while True: pass");
        monitor.Admit(request);

        _time.Advance(TimeSpan.FromDays(1));

        Assert.Equal(0, _interrupts);
    }

    [Fact]
    public void CpuWindow_BudgetSpent_InterruptsThenRefusesUntilTheWindowFrees()
    {
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions { WallClockSecondsPerCell = 0, CpuSecondsPerWindow = 2, CpuWindowSeconds = 10, CpuSampleSeconds = 1 });
        SetCpu(0);
        _time.Advance(TimeSpan.FromSeconds(1));
        JupyterMessage request = Request("while True: pass");
        Assert.Null(monitor.Admit(request));

        SetCpu(1.5);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, _interrupts);
        SetCpu(2.5);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, _interrupts);
        Assert.Contains("used more than 2 s of CPU time in the last 10 s", Assert.Single(Drain()).GetContentString("text"), StringComparison.Ordinal);
        monitor.OnReply(Reply(request, "error"));

        JupyterMessage next = Request("print(1)");
        ExecutionRefusal refusal = Assert.IsType<ExecutionRefusal>(monitor.Admit(next));
        Assert.Equal(MessageTypes.ExecuteReply, refusal.Reply.MsgType);
        Assert.Equal(next.MsgId, refusal.Reply.ParentMsgId);
        Assert.Equal("error", refusal.Reply.GetContentString("status"));
        Assert.Equal(["status", "stream", "status"], refusal.IOPub.Select(m => m.MsgType));
        Assert.Contains("execution refused", refusal.IOPub[1].GetContentString("text"), StringComparison.Ordinal);
        Assert.All(refusal.IOPub, m => Assert.Equal(next.MsgId, m.ParentMsgId));

        // Idle from now on: once the busy seconds leave the window, cells run again.
        int seconds = 0;
        while (monitor.Admit(Request("print(2)")) is not null)
        {
            Assert.True(++seconds <= 12, "still refused 12 s after the kernel went idle with a 10 s window");
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.InRange(seconds, 8, 12);
    }

    [Fact]
    public void WallClock_OnlyTheMatchedReplyEndsTheCell()
    {
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions { WallClockSecondsPerCell = 5, InterruptGraceSeconds = 2 });
        JupyterMessage request = Request("while True: pass");
        monitor.Admit(request);

        // A reply to something else (another client's request, a kernel_info) ends nothing.
        monitor.OnReply(Reply(Request("1"), "ok"));
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, _interrupts);
        Assert.True(monitor.IsBusy);
    }

    [Fact]
    public void WallClock_WithdrawnRequest_NeverStartsAClock()
    {
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions { WallClockSecondsPerCell = 5 });
        JupyterMessage request = Request("print(1)");
        monitor.Admit(request);
        monitor.OnReply(Reply(request, "ok"));
        JupyterMessage reused = Request("while True: pass");
        monitor.Admit(reused);

        monitor.OnWithdrawn(reused); // its msg_id was already pending: it never reached the kernel
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(0, _interrupts);
        Assert.Equal(0, monitor.PendingCells);
    }

    [Fact]
    public void BackgroundCpu_WithNoCellOutstanding_InterruptsThenRestartsWhenItGoesOn()
    {
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions
        {
            WallClockSecondsPerCell = 0, BackgroundCpuSecondsPerWindow = 3, BackgroundCpuWindowSeconds = 10, CpuSampleSeconds = 1, InterruptGraceSeconds = 2,
        });
        JupyterMessage cell = Request("import threading; threading.Thread(target=spin).start()");
        monitor.Admit(cell);
        double cpu = 0;
        SetCpu(cpu);
        _time.Advance(TimeSpan.FromSeconds(1));
        // CPU while the cell is outstanding is the cell's, not background.
        for (int i = 0; i < 5; i++)
        {
            SetCpu(cpu += 1);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(0, _interrupts);
        monitor.OnReply(Reply(cell, "ok"));
        Assert.True(monitor.IsBusy, "the sandbox still uses CPU");

        // The reply came (real or forged) but a core stays busy: past 3 s of background CPU, an interrupt and a notice.
        for (int i = 0; i < 5 && _interrupts == 0; i++)
        {
            SetCpu(cpu += 1);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(1, _interrupts);
        List<JupyterMessage> drained = Drain();
        Assert.True(drained.Count == 1, string.Join(" | ", drained.Select(m => m.GetContentString("text"))));
        JupyterMessage notice = drained[0];
        Assert.Null(notice.ParentMsgId);
        Assert.Contains("while no cell was running (the limit is 3 s)", notice.GetContentString("text"), StringComparison.Ordinal);

        // It goes on through the grace: restart, with a notice.
        SetCpu(cpu += 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        SetCpu(cpu += 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _restarts);
        Assert.Contains("kept using CPU with no cell running", Assert.Single(Drain()).GetContentString("text"), StringComparison.Ordinal);
        Assert.True(monitor.LastCpuActivity >= _time.GetUtcNow() - TimeSpan.FromSeconds(1), $"last CPU activity {monitor.LastCpuActivity}");
    }

    [Fact]
    public void BackgroundCpu_StoppedByTheInterrupt_NoRestart()
    {
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions
        {
            WallClockSecondsPerCell = 0, BackgroundCpuSecondsPerWindow = 2, BackgroundCpuWindowSeconds = 10, CpuSampleSeconds = 1, InterruptGraceSeconds = 2,
        });
        double cpu = 0;
        SetCpu(cpu);
        _time.Advance(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 5 && _interrupts == 0; i++)
        {
            SetCpu(cpu += 1);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(1, _interrupts);

        _time.Advance(TimeSpan.FromSeconds(3)); // no more CPU
        Assert.Equal(0, _restarts);
        Assert.False(monitor.IsBusy);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, _interrupts); // the window was cleared: no second interrupt for the same seconds
    }

    [Fact]
    public void CpuWindow_RestartDoesNotResetTheUsage()
    {
        var window = new CpuWindow(TimeSpan.FromSeconds(10));
        DateTimeOffset t0 = _time.GetUtcNow();
        window.Add(t0, "a", 0);
        window.Add(t0.AddSeconds(1), "a", 3);
        window.Add(t0.AddSeconds(2), "b", 0.5); // new container after a restart

        Assert.Equal(3.5, window.Used, precision: 6);
        Assert.Equal(t0.AddSeconds(11), window.FreesAt(1));
        window.Add(t0.AddSeconds(12), "b", 1.0);
        Assert.Equal(0.5, window.Used, precision: 6); // the 3 s of container a left the window
        Assert.Equal(4.0, window.Total, precision: 6);
    }

    [Fact]
    public async Task CompletionAndRefusal_WriteOneAuditRecordEachWithTheCodeHashAndNeverTheCode()
    {
        string path = Path.Combine(_cgroupRoot, "audit.jsonl");
        var audit = new AuditLog(Options.Create(new AuditOptions { Path = path }), NullLogger<AuditLog>.Instance);
        await audit.StartAsync(CancellationToken.None);
        using ExecutionMonitor monitor = Monitor(new ExecutionOptions { WallClockSecondsPerCell = 1, InterruptGraceSeconds = 1 }, audit);
        JupyterMessage ok = Request("print('secret-marker')");
        JupyterMessage slow = Request("while True: pass");

        monitor.Admit(ok);
        _time.Advance(TimeSpan.FromSeconds(0.25));
        monitor.OnReply(Reply(ok, "ok"));
        monitor.Admit(slow);
        _time.Advance(TimeSpan.FromSeconds(1));
        monitor.OnReply(Reply(slow, "error"));
        JupyterMessage limited = Request("1 + 1");
        monitor.OnRefused(limited, "rate"); // refused by the owner's execute rate before it was admitted
        await audit.StopAsync(CancellationToken.None);

        string text = await File.ReadAllTextAsync(path);
        Assert.DoesNotContain("secret-marker", text, StringComparison.Ordinal);
        JsonObject[] lines = [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!)];
        Assert.Equal(3, lines.Length);
        Assert.Equal("ok", (string?)lines[0]["outcome"]);
        Assert.Equal("alice", (string?)lines[0]["user"]);
        Assert.Equal("k1", (string?)lines[0]["kernel_id"]);
        Assert.Equal("python3", (string?)lines[0]["kernel_name"]);
        Assert.Equal(ok.MsgId, (string?)lines[0]["msg_id"]);
        Assert.Equal(Sha256("print('secret-marker')"), (string?)lines[0]["code_sha256"]);
        Assert.Equal(22, (long)lines[0]["code_bytes"]!);
        Assert.Equal(0.25, (double)lines[0]["duration_seconds"]!, precision: 6);
        Assert.Null(lines[0]["limit"]);
        Assert.Equal("timeout", (string?)lines[1]["outcome"]);
        Assert.Equal("wall_clock", (string?)lines[1]["limit"]);
        Assert.Equal("refused", (string?)lines[2]["outcome"]);
        Assert.Equal("rate", (string?)lines[2]["limit"]);
        Assert.Equal(limited.MsgId, (string?)lines[2]["msg_id"]);
        Assert.Equal(Sha256("1 + 1"), (string?)lines[2]["code_sha256"]);
    }

    private ExecutionMonitor Monitor(ExecutionOptions options, AuditLog? audit = null, double specCellTimeoutSeconds = 0)
    {
        _metrics = new ExecutionMetrics();
        var services = new ExecutionServices(Options.Create(options), _time, _metrics,
            audit ?? new AuditLog(Options.Create(new AuditOptions()), NullLogger<AuditLog>.Instance), NullLogger<ExecutionMonitor>.Instance);
        var usage = new ContainerUsage(new ContainerCgroup(_cgroupRoot), () => Container);
        return new ExecutionMonitor(new ExecutionTarget("k1", "alice", "python3", usage, _channels, specCellTimeoutSeconds), options, services,
            () => { Interlocked.Increment(ref _interrupts); return Task.CompletedTask; },
            () => { Interlocked.Increment(ref _restarts); return Task.CompletedTask; });
    }

    private void SetCpu(double seconds)
    {
        string directory = Path.Combine(_cgroupRoot, "cpuacct", "docker", Container);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "cpuacct.usage"), ((long)(seconds * 1e9)).ToString(CultureInfo.InvariantCulture));
    }

    private List<JupyterMessage> Drain()
    {
        var messages = new List<JupyterMessage>();
        while (_session.TryRead(out ChannelMessage? message))
        {
            messages.Add(message.Message);
        }
        return messages;
    }

    private static JupyterMessage Request(string code) => JupyterMessage.Create(
        MessageTypes.ExecuteRequest, Encoding.UTF8.GetBytes(new JsonObject { ["code"] = code }.ToJsonString()), "client", "u");

    private static JupyterMessage Reply(JupyterMessage parent, string status) => JupyterMessage.Create(
        MessageTypes.ExecuteReply, Encoding.UTF8.GetBytes("{\"status\":\"" + status + "\",\"execution_count\":1}"), "kernel", "k", parent);

    private static string Sha256(string code) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    private sealed class NoConnection : IClientConnection
    {
        public Task CloseAsync(string reason) => Task.CompletedTask;
    }
}
