namespace NotebookGateway.Server.RateLimiting;

/// <summary>Kinds of <c>rate_limit_hits</c>.</summary>
public static class RateLimitKinds
{
    public const string KernelStart = "kernel_start";
    public const string Execute = "execute";
    public const string WebSocket = "websocket";
    public const string BadToken = "bad_token";
}

/// <summary>A refused request: which limit, a message naming it, and when to try again.</summary>
public sealed record RateLimitRefusal(string Kind, string Message, TimeSpan RetryAfter)
{
    /// <summary>Whole seconds for the Retry-After header (at least 1).</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));
}

/// <summary>A rate limit refused the request; nothing was done (shown as a 429 with Retry-After).</summary>
public sealed class RateLimitExceededException : Exception
{
    public RateLimitExceededException()
    {
        Refusal = new RateLimitRefusal("", "Rate limit exceeded.", TimeSpan.FromSeconds(1));
    }

    public RateLimitExceededException(string message) : base(message)
    {
        Refusal = new RateLimitRefusal("", message, TimeSpan.FromSeconds(1));
    }

    public RateLimitExceededException(string message, Exception innerException) : base(message, innerException)
    {
        Refusal = new RateLimitRefusal("", message, TimeSpan.FromSeconds(1));
    }

    public RateLimitExceededException(RateLimitRefusal refusal) : base(refusal?.Message)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        Refusal = refusal;
    }

    public RateLimitRefusal Refusal { get; }
}
