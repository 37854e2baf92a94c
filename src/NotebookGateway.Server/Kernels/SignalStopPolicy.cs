using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Observation;
using NotebookGateway.Server.Monitoring;

namespace NotebookGateway.Server.Kernels;

/// <summary>
/// The optional <see cref="MonitoringOptions.StopRules"/>: a kernel that raises a rule's count of signals within its
/// window is stopped (shut down, its container removed); clients get a dead status with the reason, and the timeline
/// gets a <c>kernel_stopped</c> line. Off without rules.
/// </summary>
public sealed partial class SignalStopPolicy : IHostedService
{
    private readonly MonitoringOptions _options;
    private readonly SecurityTimeline _timeline;
    private readonly GatewayKernelRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger<SignalStopPolicy> _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string KernelId, int Rule), Queue<DateTimeOffset>> _recent = [];
    private readonly HashSet<string> _stopping = new(StringComparer.Ordinal);

    public SignalStopPolicy(IOptions<MonitoringOptions> options, SecurityTimeline timeline, GatewayKernelRegistry registry, TimeProvider time, ILogger<SignalStopPolicy> logger)
    {
        _options = options.Value;
        _timeline = timeline;
        _registry = registry;
        _time = time;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.StopRules.Count > 0)
        {
            _timeline.Signaled += OnSignal;
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timeline.Signaled -= OnSignal;
        return Task.CompletedTask;
    }

    private void OnSignal(SignalSource source, string kind)
    {
        DateTimeOffset now = _time.GetUtcNow();
        for (int i = 0; i < _options.StopRules.Count; i++)
        {
            SignalStopRule rule = _options.StopRules[i];
            if (!rule.AppliesTo(source.KernelName, kind))
            {
                continue;
            }
            lock (_lock)
            {
                if (_stopping.Contains(source.KernelId))
                {
                    return;
                }
                if (!_recent.TryGetValue((source.KernelId, i), out Queue<DateTimeOffset>? times))
                {
                    ForgetExpired(now);
                    _recent[(source.KernelId, i)] = times = new Queue<DateTimeOffset>();
                }
                times.Enqueue(now);
                while (times.Count > 0 && (now - times.Peek()).TotalSeconds > rule.WindowSeconds)
                {
                    times.Dequeue();
                }
                if (times.Count < rule.Count)
                {
                    continue;
                }
                _stopping.Add(source.KernelId);
                foreach (var key in _recent.Keys.Where(k => k.KernelId == source.KernelId).ToList())
                {
                    _recent.Remove(key);
                }
            }
            string reason = $"stopped by the gateway: {rule.Count} {string.Join("/", rule.Kinds)} signals within {rule.WindowSeconds} s (Monitoring:StopRules:{i})";
            _ = StopAsync(source, reason);
            return;
        }
    }

    /// <summary>
    /// Under the lock, once the table has grown: drops the windows whose newest signal is older than their rule's window
    /// (kernels that went quiet, or away), so the table holds only kernels that signalled lately.
    /// </summary>
    private void ForgetExpired(DateTimeOffset now)
    {
        if (_recent.Count < 256)
        {
            return;
        }
        foreach ((string, int) key in _recent.Where(p => (now - p.Value.Last()).TotalSeconds > _options.StopRules[p.Key.Rule].WindowSeconds)
            .Select(p => p.Key).ToList())
        {
            _recent.Remove(key);
        }
    }

    private async Task StopAsync(SignalSource source, string reason)
    {
        try
        {
            Log.Stopping(_logger, source.KernelId, source.User, reason);
            _timeline.Record(source, SignalKinds.KernelStopped, reason);
            await _registry.StopForAsync(source.KernelId, reason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KernelNotFoundException or IOException)
        {
            Log.StopFailed(_logger, source.KernelId, ex.Message);
        }
        finally
        {
            lock (_lock)
            {
                _stopping.Remove(source.KernelId);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3711, Level = LogLevel.Warning, Message = "Kernel {KernelId} of {User}: {Reason}")]
        public static partial void Stopping(ILogger logger, string kernelId, string user, string reason);

        [LoggerMessage(EventId = 3712, Level = LogLevel.Warning, Message = "Stopping kernel {KernelId} failed: {Reason}")]
        public static partial void StopFailed(ILogger logger, string kernelId, string reason);
    }
}
