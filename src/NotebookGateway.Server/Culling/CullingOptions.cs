using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Server.Culling;

/// <summary>The <c>Culling</c> section (jupyter_server's culler options, plus a lifetime cap).</summary>
public sealed class CullingOptions
{
    public const string Section = "Culling";

    /// <summary>Kernels idle longer than this are shut down; 0 turns idle culling off.</summary>
    public int IdleTimeoutSeconds { get; set; }

    /// <summary>How often kernels are checked; 0 or less means 300, as jupyter_server.</summary>
    public int IntervalSeconds { get; set; } = 300;

    /// <summary>Also cull kernels that have open connections.</summary>
    public bool CullConnected { get; set; }

    /// <summary>Also cull kernels that are busy.</summary>
    public bool CullBusy { get; set; }

    /// <summary>Any kernel older than this is shut down, idle or not; 0 = no cap.</summary>
    public int MaxLifetimeSeconds { get; set; }

    /// <summary>Idle timeouts per kernelspec, overriding <see cref="IdleTimeoutSeconds"/>.</summary>
    public Dictionary<string, int> SpecIdleTimeoutSeconds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// A notebook session whose kernel is gone (deleted, culled, or dead and not restarted) is removed, with its
    /// workspace, after this long; 0 = such sessions are kept until deleted.
    /// </summary>
    public int SessionRetentionSeconds { get; set; }

    /// <summary>How many culled kernels are shut down at once (each shutdown is a container stop and removal).</summary>
    public int Parallelism { get; set; } = 4;

    public TimeSpan Interval => TimeSpan.FromSeconds(IntervalSeconds > 0 ? IntervalSeconds : 300);

    /// <summary>Every problem of the section, named by its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void NotNegative(string name, int value)
        {
            if (value < 0)
            {
                errors.Add($"{Section}:{name} must be 0 or more (got {value}).");
            }
        }
        NotNegative(nameof(IdleTimeoutSeconds), IdleTimeoutSeconds);
        NotNegative(nameof(MaxLifetimeSeconds), MaxLifetimeSeconds);
        NotNegative(nameof(SessionRetentionSeconds), SessionRetentionSeconds);
        foreach ((string spec, int seconds) in SpecIdleTimeoutSeconds)
        {
            NotNegative($"{nameof(SpecIdleTimeoutSeconds)}:{spec}", seconds);
        }
        if (Parallelism is < 1 or > 64)
        {
            errors.Add($"{Section}:{nameof(Parallelism)} must be 1-64 (got {Parallelism}).");
        }
        return errors;
    }
}

/// <summary>What the culler needs to know about one kernel.</summary>
public readonly record struct CullCandidate(string Id, string Spec, DateTimeOffset CreatedAt, DateTimeOffset LastActivity, string ExecutionState, int Connections);

public static class CullingPolicy
{
    /// <summary>The kernels to shut down now, with the reason to tell their clients.</summary>
    public static IReadOnlyList<(string Id, string Reason)> Select(IEnumerable<CullCandidate> kernels, DateTimeOffset now, CullingOptions options)
    {
        var selected = new List<(string, string)>();
        foreach (CullCandidate kernel in kernels)
        {
            if (options.MaxLifetimeSeconds > 0 && now - kernel.CreatedAt >= TimeSpan.FromSeconds(options.MaxLifetimeSeconds))
            {
                selected.Add((kernel.Id, $"it reached the maximum kernel lifetime of {options.MaxLifetimeSeconds} s"));
                continue;
            }
            int timeout = options.SpecIdleTimeoutSeconds.TryGetValue(kernel.Spec, out int perSpec) ? perSpec : options.IdleTimeoutSeconds;
            if (timeout <= 0
                || (kernel.ExecutionState == ExecutionStates.Busy && !options.CullBusy)
                || (kernel.Connections > 0 && !options.CullConnected))
            {
                continue;
            }
            TimeSpan idle = now - kernel.LastActivity;
            if (idle >= TimeSpan.FromSeconds(timeout))
            {
                selected.Add((kernel.Id, $"it was idle for {(int)idle.TotalSeconds} s (the limit is {timeout} s)"));
            }
        }
        return selected;
    }
}
