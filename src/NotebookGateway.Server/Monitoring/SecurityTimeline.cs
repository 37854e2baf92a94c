using Microsoft.Extensions.Options;
using NotebookGateway.Server.Audit;

namespace NotebookGateway.Server.Monitoring;

/// <summary>
/// Every kernel's behaviour signals (limits hit, denied attempts, refusals), in one bounded ring: each new event is
/// audited and counted; a repeat of the same kind from the same kernel within <see cref="MonitoringOptions.CoalesceSeconds"/>
/// only raises the last event's count, so a kernel that loops on a denied call costs a line, not a flood.
/// </summary>
public sealed class SecurityTimeline
{
    private readonly MonitoringOptions _options;
    private readonly AuditLog _audit;
    private readonly SignalMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly LinkedList<Entry> _events = new();
    private readonly Dictionary<(string KernelId, string Kind), LinkedListNode<Entry>> _latest = [];

    public SecurityTimeline(IOptions<MonitoringOptions> options, AuditLog audit, SignalMetrics metrics, TimeProvider time)
    {
        _options = options.Value;
        _audit = audit;
        _metrics = metrics;
        _time = time;
    }

    /// <summary>Every signal, coalesced or not (the stop rules count these).</summary>
    public event Action<SignalSource, string>? Signaled;

    public void Record(SignalSource source, string kind, string detail)
    {
        ArgumentNullException.ThrowIfNull(source);
        _metrics.Count(source, kind);
        DateTimeOffset now = _time.GetUtcNow();
        Entry? added = null;
        lock (_lock)
        {
            if (_latest.TryGetValue((source.KernelId, kind), out LinkedListNode<Entry>? last)
                && (now - last.Value.LastTime).TotalSeconds < _options.CoalesceSeconds)
            {
                last.Value.Count++;
                last.Value.LastTime = now;
            }
            else
            {
                added = new Entry(source, kind, detail, now);
                _latest[(source.KernelId, kind)] = _events.AddLast(added);
                while (_events.Count > _options.MaxEvents)
                {
                    Entry oldest = _events.First!.Value;
                    _events.RemoveFirst();
                    if (_latest.TryGetValue((oldest.Source.KernelId, oldest.Kind), out var node) && node.Value == oldest)
                    {
                        _latest.Remove((oldest.Source.KernelId, oldest.Kind));
                    }
                }
            }
        }
        if (added is not null)
        {
            _audit.Write(new SecurityAuditRecord
            {
                Time = now,
                User = source.User,
                KernelId = source.KernelId,
                KernelName = source.KernelName,
                Kind = kind,
                Detail = detail,
            });
        }
        Signaled?.Invoke(source, kind);
    }

    /// <summary>Events, oldest first, that match every filter given (null matches all); at most <paramref name="limit"/>, the newest.</summary>
    public IReadOnlyList<SecurityEvent> Query(string? kernelId = null, string? user = null, string? kind = null, int limit = 1000)
    {
        lock (_lock)
        {
            var matching = _events
                .Where(e => (kernelId is null || e.Source.KernelId == kernelId) && (user is null || e.Source.User == user) && (kind is null || e.Kind == kind))
                .Select(e => e.Snapshot())
                .ToList();
            return matching.Count > limit ? matching.GetRange(matching.Count - limit, limit) : matching;
        }
    }

    private sealed class Entry(SignalSource source, string kind, string detail, DateTimeOffset time)
    {
        public SignalSource Source { get; } = source;

        public DateTimeOffset Time { get; } = time;

        public string Kind { get; } = kind;

        public long Count { get; set; } = 1;

        public DateTimeOffset LastTime { get; set; } = time;

        public SecurityEvent Snapshot() => new()
        {
            Time = Time,
            LastTime = LastTime,
            KernelId = Source.KernelId,
            User = Source.User,
            KernelName = Source.KernelName,
            Kind = Kind,
            Detail = detail,
            Count = Count,
        };
    }
}
