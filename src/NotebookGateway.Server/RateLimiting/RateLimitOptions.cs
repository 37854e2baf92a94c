namespace NotebookGateway.Server.RateLimiting;

/// <summary>Per-user rates; a null field keeps the section's value (used for <see cref="RateLimitOptions.Users"/> overrides).</summary>
public sealed class UserRateLimits
{
    public int? KernelStartsPerMinute { get; set; }

    public int? ExecuteRequestsPerMinute { get; set; }

    public int? WebSocketConnectionsPerMinute { get; set; }

    public int? ConcurrentWebSockets { get; set; }
}

/// <summary>
/// The <c>RateLimits</c> section. Rates are token buckets: a burst of N, refilled at N per minute. 0 = no limit.
/// Bad tokens are counted per client address: after <see cref="BadTokenAttempts"/> within
/// <see cref="BadTokenWindowSeconds"/>, every request from that address gets 429 until the window has passed.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public int KernelStartsPerMinute { get; set; } = 60;

    public int ExecuteRequestsPerMinute { get; set; } = 600;

    public int WebSocketConnectionsPerMinute { get; set; } = 60;

    /// <summary>Open websockets per user at once.</summary>
    public int ConcurrentWebSockets { get; set; } = 100;

    public int BadTokenAttempts { get; set; } = 100;

    public int BadTokenWindowSeconds { get; set; } = 60;

    public Dictionary<string, UserRateLimits> Users { get; set; } = new(StringComparer.Ordinal);

    public int KernelStartsPerMinuteOf(string user) => Users.GetValueOrDefault(user)?.KernelStartsPerMinute ?? KernelStartsPerMinute;

    public int ExecuteRequestsPerMinuteOf(string user) => Users.GetValueOrDefault(user)?.ExecuteRequestsPerMinute ?? ExecuteRequestsPerMinute;

    public int WebSocketConnectionsPerMinuteOf(string user) => Users.GetValueOrDefault(user)?.WebSocketConnectionsPerMinute ?? WebSocketConnectionsPerMinute;

    public int ConcurrentWebSocketsOf(string user) => Users.GetValueOrDefault(user)?.ConcurrentWebSockets ?? ConcurrentWebSockets;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(string path, int? value)
        {
            if (value < 0)
            {
                errors.Add($"RateLimits:{path} must be 0 (no limit) or positive.");
            }
        }
        Check(nameof(KernelStartsPerMinute), KernelStartsPerMinute);
        Check(nameof(ExecuteRequestsPerMinute), ExecuteRequestsPerMinute);
        Check(nameof(WebSocketConnectionsPerMinute), WebSocketConnectionsPerMinute);
        Check(nameof(ConcurrentWebSockets), ConcurrentWebSockets);
        Check(nameof(BadTokenAttempts), BadTokenAttempts);
        if (BadTokenAttempts > 0 && BadTokenWindowSeconds <= 0)
        {
            errors.Add("RateLimits:BadTokenWindowSeconds must be positive when BadTokenAttempts is set.");
        }
        foreach ((string user, UserRateLimits limits) in Users)
        {
            Check($"Users:{user}:KernelStartsPerMinute", limits.KernelStartsPerMinute);
            Check($"Users:{user}:ExecuteRequestsPerMinute", limits.ExecuteRequestsPerMinute);
            Check($"Users:{user}:WebSocketConnectionsPerMinute", limits.WebSocketConnectionsPerMinute);
            Check($"Users:{user}:ConcurrentWebSockets", limits.ConcurrentWebSockets);
        }
        return errors;
    }
}
