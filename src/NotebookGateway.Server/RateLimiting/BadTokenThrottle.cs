using System.Collections.Concurrent;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.RateLimiting;

/// <summary>
/// Slows down token guessing: wrong tokens are counted per client address (a fixed window limiter partitioned by
/// address); past the limit, every request from that address is answered 429 until the window has passed. Other
/// addresses, with their right tokens, are untouched. A request without any token is not a guess and is not counted.
/// </summary>
public sealed partial class BadTokenThrottle : IDisposable
{
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RateLimitMetrics _metrics;
    private readonly PartitionedRateLimiter<IPAddress> _failures;
    private readonly ConcurrentDictionary<IPAddress, DateTimeOffset> _blockedUntil = new();

    public BadTokenThrottle(IOptions<RateLimitOptions> options, TimeProvider time, ILogger<BadTokenThrottle> logger, RateLimitMetrics? metrics = null)
    {
        _options = options.Value;
        _metrics = metrics ?? new RateLimitMetrics();
        _time = time;
        _logger = logger;
        _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => _options.BadTokenAttempts > 0
            ? RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = _options.BadTokenAttempts,
                Window = Window,
                QueueLimit = 0,
            })
            : RateLimitPartition.GetNoLimiter(address));
    }

    private TimeSpan Window => TimeSpan.FromSeconds(Math.Max(1, _options.BadTokenWindowSeconds));

    /// <summary>The refusal for a request from <paramref name="address"/> while it is blocked, else null.</summary>
    public RateLimitRefusal? Check(IPAddress? address)
    {
        if (address is null || !_blockedUntil.TryGetValue(address, out DateTimeOffset until))
        {
            return null;
        }
        TimeSpan left = until - _time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            _blockedUntil.TryRemove(new KeyValuePair<IPAddress, DateTimeOffset>(address, until));
            return null;
        }
        _metrics.CountHit(RateLimitKinds.BadToken);
        return new RateLimitRefusal(RateLimitKinds.BadToken,
            $"Too many requests with a wrong token from this address (more than {_options.BadTokenAttempts} in {_options.BadTokenWindowSeconds} s); retry after {Math.Max(1, (int)Math.Ceiling(left.TotalSeconds))} s.", left);
    }

    /// <summary>Counts a wrong token from <paramref name="address"/>; past the limit the address is blocked for a window.</summary>
    public void RecordFailure(IPAddress? address)
    {
        if (address is null || _options.BadTokenAttempts <= 0)
        {
            return;
        }
        using RateLimitLease lease = _failures.AttemptAcquire(address);
        if (!lease.IsAcquired)
        {
            DateTimeOffset now = _time.GetUtcNow();
            _blockedUntil[address] = now + Window;
            Log.AddressBlocked(_logger, address.ToString(), _options.BadTokenAttempts, _options.BadTokenWindowSeconds);
            foreach ((IPAddress other, DateTimeOffset until) in _blockedUntil)
            {
                if (until <= now)
                {
                    _blockedUntil.TryRemove(new KeyValuePair<IPAddress, DateTimeOffset>(other, until));
                }
            }
        }
    }

    public void Dispose() => _failures.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 3701, Level = LogLevel.Warning, Message = "Address {Address} sent more than {Attempts} wrong tokens in {WindowSeconds} s: its requests get 429 for a while")]
        public static partial void AddressBlocked(ILogger logger, string address, int attempts, int windowSeconds);
    }
}
