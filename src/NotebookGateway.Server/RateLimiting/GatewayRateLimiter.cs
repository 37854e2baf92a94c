using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.RateLimiting;

/// <summary>
/// Per-user rate limits for kernel starts, execute requests and websocket connections, on System.Threading.RateLimiting
/// token buckets partitioned by user (burst N, refilled at N per minute). Shared by every transport: the registry
/// checks starts, the relay checks executes, the websocket (and hub) endpoints check connections.
/// </summary>
public sealed class GatewayRateLimiter : IDisposable
{
    private readonly RateLimitOptions _options;
    private readonly RateLimitMetrics _metrics;
    private readonly PartitionedRateLimiter<string> _starts;
    private readonly PartitionedRateLimiter<string> _executes;
    private readonly PartitionedRateLimiter<string> _webSockets;
    private readonly PartitionedRateLimiter<string> _openWebSockets;

    public GatewayRateLimiter(IOptions<RateLimitOptions> options, RateLimitMetrics? metrics = null)
    {
        _options = options.Value;
        _metrics = metrics ?? new RateLimitMetrics();
        _starts = PerUserPerMinute(_options.KernelStartsPerMinuteOf);
        _executes = PerUserPerMinute(_options.ExecuteRequestsPerMinuteOf);
        _webSockets = PerUserPerMinute(_options.WebSocketConnectionsPerMinuteOf);
        _openWebSockets = PartitionedRateLimiter.Create<string, string>(user => _options.ConcurrentWebSocketsOf(user) is > 0 and int limit
            ? RateLimitPartition.GetConcurrencyLimiter(user, _ => new ConcurrencyLimiterOptions { PermitLimit = limit, QueueLimit = 0 })
            : RateLimitPartition.GetNoLimiter(user));
    }

    /// <summary>Null when the user may start one more kernel now.</summary>
    public RateLimitRefusal? TryStartKernel(string user) =>
        TryTake(_starts, user, RateLimitKinds.KernelStart, _options.KernelStartsPerMinuteOf(user), "kernel starts");

    /// <summary>Null when the user may send one more execute_request now.</summary>
    public RateLimitRefusal? TryExecute(string user) =>
        TryTake(_executes, user, RateLimitKinds.Execute, _options.ExecuteRequestsPerMinuteOf(user), "execute requests");

    /// <summary>
    /// A lease to hold while the connection is open (dispose it when the socket closes), or the refusal.
    /// </summary>
    public RateLimitRefusal? TryOpenWebSocket(string user, out IDisposable? lease)
    {
        lease = null;
        if (TryTake(_webSockets, user, RateLimitKinds.WebSocket, _options.WebSocketConnectionsPerMinuteOf(user), "websocket connections") is { } refusal)
        {
            return refusal;
        }
        RateLimitLease open = _openWebSockets.AttemptAcquire(user);
        if (!open.IsAcquired)
        {
            open.Dispose();
            _metrics.CountHit(RateLimitKinds.WebSocket);
            // There is no schedule for a concurrency limit: a few seconds is a polite guess.
            return new RateLimitRefusal(RateLimitKinds.WebSocket,
                $"Rate limit exceeded: at most {_options.ConcurrentWebSocketsOf(user)} open websocket connections per user; user '{user}' has that many open.", TimeSpan.FromSeconds(5));
        }
        lease = open;
        return null;
    }

    public void Dispose()
    {
        _starts.Dispose();
        _executes.Dispose();
        _webSockets.Dispose();
        _openWebSockets.Dispose();
    }

    private static PartitionedRateLimiter<string> PerUserPerMinute(Func<string, int> limitOf) =>
        PartitionedRateLimiter.Create<string, string>(user => limitOf(user) is > 0 and int limit
            ? RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limit,
                TokensPerPeriod = 1,
                // One token every 60/N s: the bucket refills completely in a minute.
                ReplenishmentPeriod = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerMinute / limit)),
                QueueLimit = 0,
            })
            : RateLimitPartition.GetNoLimiter(user));

    private RateLimitRefusal? TryTake(PartitionedRateLimiter<string> limiter, string user, string kind, int limit, string what)
    {
        using RateLimitLease lease = limiter.AttemptAcquire(user);
        if (lease.IsAcquired)
        {
            return null;
        }
        TimeSpan retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) ? after : TimeSpan.FromSeconds(60.0 / limit);
        _metrics.CountHit(kind);
        return new RateLimitRefusal(kind,
            $"Rate limit exceeded: at most {limit} {what} per minute per user (user '{user}'); retry after {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))} s.", retryAfter);
    }
}
