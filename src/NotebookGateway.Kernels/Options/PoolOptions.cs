namespace NotebookGateway.Kernels.Options;

/// <summary>
/// Warm starts (<c>Sandbox:Pool</c>): sandboxes started ahead of demand, per kernelspec, each handed out once to a
/// request that begins a new workspace. Off unless a spec has a <see cref="SpecPoolOptions.Size"/> above 0.
/// </summary>
public sealed class PoolOptions
{
    /// <summary>All pooled sandboxes together reserve at most this much memory (the sum of their memory limits).</summary>
    public int MemoryBudgetMiB { get; set; } = 4096;

    /// <summary>The pool starts at most one sandbox per interval, so refilling never crowds out the users' own starts.</summary>
    public int RefillIntervalMilliseconds { get; set; } = 250;

    /// <summary>The pool per kernelspec name.</summary>
    public IDictionary<string, SpecPoolOptions> Specs { get; set; } = new Dictionary<string, SpecPoolOptions>(StringComparer.Ordinal);

    public TimeSpan RefillInterval => TimeSpan.FromMilliseconds(RefillIntervalMilliseconds);
}

/// <summary>The pool of one kernelspec.</summary>
public sealed class SpecPoolOptions
{
    /// <summary>Ready sandboxes kept (0 = no pool).</summary>
    public int Size { get; set; }

    /// <summary>A ready sandbox older than this is replaced by a new one.</summary>
    public int MaxAgeSeconds { get; set; } = 3600;

    /// <summary>This spec's pooled sandboxes reserve at most this much memory; 0 = <see cref="Size"/> times the envelope's.</summary>
    public int MemoryBudgetMiB { get; set; }

    /// <summary>After this long without a warm start the pool shrinks to <see cref="IdleSize"/> (0 = never).</summary>
    public int IdleSeconds { get; set; } = 600;

    /// <summary>What the pool keeps while idle.</summary>
    public int IdleSize { get; set; }

    public TimeSpan MaxAge => TimeSpan.FromSeconds(MaxAgeSeconds);

    public TimeSpan IdleAfter => TimeSpan.FromSeconds(IdleSeconds);

    /// <summary>Errors in this spec's settings, prefixed with <paramref name="path"/>.</summary>
    public IEnumerable<string> Validate(string path)
    {
        if (Size is < 0 or > 1000)
        {
            yield return $"{path}:Size must be 0-1000 (is {Size}).";
        }

        if (MaxAgeSeconds < 10)
        {
            yield return $"{path}:MaxAgeSeconds must be at least 10 (is {MaxAgeSeconds}).";
        }

        if (MemoryBudgetMiB < 0)
        {
            yield return $"{path}:MemoryBudgetMiB must be 0 (Size times the envelope) or more (is {MemoryBudgetMiB}).";
        }

        if (IdleSeconds < 0)
        {
            yield return $"{path}:IdleSeconds must be 0 (never idle) or more (is {IdleSeconds}).";
        }

        if (IdleSize < 0 || IdleSize > Size)
        {
            yield return $"{path}:IdleSize must be 0-Size (is {IdleSize}, Size {Size}).";
        }
    }
}
