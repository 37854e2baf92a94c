using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Monitoring;

namespace NotebookGateway.Server.Tests.Monitoring;

public sealed class SecurityTimelineTests : IDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("nbgw-timeline-");
    private readonly SignalMetrics _metrics = new();
    private static readonly SignalSource Alice = new("k1", "alice", "python3");
    private static readonly SignalSource Bob = new("k2", "bob", "ir");

    public void Dispose()
    {
        _metrics.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public void RepeatsWithinTheWindow_RaiseTheCount_ThenANewEventStarts()
    {
        SecurityTimeline timeline = Timeline(new MonitoringOptions { CoalesceSeconds = 1 }, out _);
        for (int i = 0; i < 1000; i++)
        {
            timeline.Record(Alice, "ptrace", "ptrace() attempted and refused");
        }
        _time.Advance(TimeSpan.FromSeconds(2));
        timeline.Record(Alice, "ptrace", "ptrace() attempted and refused");

        IReadOnlyList<SecurityEvent> events = timeline.Query(kernelId: "k1");
        Assert.Equal(2, events.Count);
        Assert.Equal(1000, events[0].Count);
        Assert.Equal(1, events[1].Count);
    }

    [Fact]
    public void TheRing_IsBounded_OldestFirstOut()
    {
        SecurityTimeline timeline = Timeline(new MonitoringOptions { MaxEvents = 100, CoalesceSeconds = 0 }, out _);
        for (int i = 0; i < 250; i++)
        {
            timeline.Record(Alice, "mount", $"attempt {i}");
        }
        IReadOnlyList<SecurityEvent> events = timeline.Query(limit: 10_000);
        Assert.Equal(100, events.Count);
        Assert.Equal("attempt 150", events[0].Detail);
        Assert.Equal("attempt 249", events[^1].Detail);
    }

    [Fact]
    public void Query_FiltersByKernelUserAndKind_AndKeepsTheNewest()
    {
        SecurityTimeline timeline = Timeline(new MonitoringOptions(), out _);
        timeline.Record(Alice, "ptrace", "a");
        timeline.Record(Bob, "ptrace", "b");
        timeline.Record(Alice, "oom", "c");
        Assert.Equal(["a", "c"], timeline.Query(user: "alice").Select(e => e.Detail));
        Assert.Equal(["b"], timeline.Query(kernelId: "k2").Select(e => e.Detail));
        Assert.Equal(["a", "b"], timeline.Query(kind: "ptrace").Select(e => e.Detail));
        Assert.Equal(["c"], timeline.Query(user: "alice", limit: 1).Select(e => e.Detail));
    }

    [Fact]
    public async Task EachNewEvent_IsOneAuditLine_CoalescedRepeatsAreNot()
    {
        SecurityTimeline timeline = Timeline(new MonitoringOptions { CoalesceSeconds = 1 }, out AuditLog audit);
        await audit.StartAsync(CancellationToken.None);
        timeline.Record(Alice, "namespace", "unshare() attempted and refused");
        timeline.Record(Alice, "namespace", "unshare() attempted and refused");
        timeline.Record(Bob, "network_socket", "socket()");
        await audit.StopAsync(CancellationToken.None);

        JsonObject[] lines = [.. (await File.ReadAllLinesAsync(Path.Combine(_directory.FullName, "audit.jsonl"))).Select(l => (JsonObject)JsonNode.Parse(l)!)];
        Assert.Equal(2, lines.Length);
        Assert.Equal("security", (string?)lines[0]["event"]);
        Assert.Equal("namespace", (string?)lines[0]["kind"]);
        Assert.Equal("alice", (string?)lines[0]["user"]);
        Assert.Equal("k1", (string?)lines[0]["kernel_id"]);
        Assert.Equal("ir", (string?)lines[1]["kernel_name"]);
    }

    [Fact]
    public void Signaled_SeesEverySignal_CoalescedOrNot()
    {
        SecurityTimeline timeline = Timeline(new MonitoringOptions { CoalesceSeconds = 60 }, out _);
        int seen = 0;
        timeline.Signaled += (_, _) => seen++;
        for (int i = 0; i < 7; i++)
        {
            timeline.Record(Alice, "ptrace", "x");
        }
        Assert.Equal(7, seen);
    }

    [Fact]
    public void Options_RejectUnknownKindsAndBadBounds()
    {
        var options = new MonitoringOptions
        {
            MaxEvents = 5,
            StopRules = [new SignalStopRule { Kinds = ["ptrace", "telepathy"], Count = 0 }],
        };
        IReadOnlyList<string> errors = options.Validate(NotebookGateway.Kernels.Observation.SignalKinds.All);
        Assert.Contains(errors, e => e.Contains("MaxEvents", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("StopRules:0:Kinds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("StopRules:0:Count", StringComparison.Ordinal));
    }

    private SecurityTimeline Timeline(MonitoringOptions options, out AuditLog audit)
    {
        audit = new AuditLog(Options.Create(new AuditOptions { Path = Path.Combine(_directory.FullName, "audit.jsonl") }), NullLogger<AuditLog>.Instance);
        return new SecurityTimeline(Options.Create(options), audit, _metrics, _time);
    }
}
