namespace NotebookGateway.Server.Monitoring;

/// <summary>The security timeline and behaviour signals (<c>Monitoring</c> in gateway.json).</summary>
public sealed class MonitoringOptions
{
    public const string Section = "Monitoring";

    /// <summary>Events kept in memory across all kernels (the oldest go first); every one is also in the audit log.</summary>
    public int MaxEvents { get; set; } = 10_000;

    /// <summary>
    /// A signal of the same kind from the same kernel within this many seconds of the last one raises that event's
    /// count instead of adding an event (a loop of ptrace calls is one line with a count, not a flood).
    /// </summary>
    public double CoalesceSeconds { get; set; } = 1;

    /// <summary>Users in this group may read every kernel's timeline (<c>GET /api/admin/events</c>).</summary>
    public string AdminGroup { get; set; } = "admin";

    /// <summary>Optional: kernels that raise too many signals of a kind are stopped. None by default.</summary>
    public List<SignalStopRule> StopRules { get; set; } = [];

    public IReadOnlyList<string> Validate(IReadOnlyCollection<string> knownKinds)
    {
        var errors = new List<string>();
        if (MaxEvents is < 100 or > 1_000_000)
        {
            errors.Add($"Monitoring:MaxEvents must be between 100 and 1000000 (is {MaxEvents}).");
        }
        if (CoalesceSeconds is < 0 or > 3600 || double.IsNaN(CoalesceSeconds))
        {
            errors.Add($"Monitoring:CoalesceSeconds must be between 0 and 3600 (is {CoalesceSeconds}).");
        }
        if (string.IsNullOrWhiteSpace(AdminGroup))
        {
            errors.Add("Monitoring:AdminGroup must name a group.");
        }
        for (int i = 0; i < StopRules.Count; i++)
        {
            SignalStopRule rule = StopRules[i];
            if (rule.Kinds.Count == 0 || rule.Kinds.Any(k => !knownKinds.Contains(k)))
            {
                errors.Add($"Monitoring:StopRules:{i}:Kinds must list signal kinds out of: {string.Join(", ", knownKinds)}.");
            }
            if (rule.Count is < 1 or > 1_000_000)
            {
                errors.Add($"Monitoring:StopRules:{i}:Count must be between 1 and 1000000 (is {rule.Count}).");
            }
            if (rule.WindowSeconds is < 1 or > 86_400)
            {
                errors.Add($"Monitoring:StopRules:{i}:WindowSeconds must be between 1 and 86400 (is {rule.WindowSeconds}).");
            }
        }
        return errors;
    }
}

/// <summary>Stop a kernel once it raised <see cref="Count"/> signals of <see cref="Kinds"/> within <see cref="WindowSeconds"/>.</summary>
public sealed class SignalStopRule
{
    public List<string> Kinds { get; set; } = [];

    public int Count { get; set; } = 10;

    public int WindowSeconds { get; set; } = 60;

    /// <summary>The kernelspecs the rule applies to; empty: all.</summary>
    public List<string> KernelNames { get; set; } = [];

    public bool AppliesTo(string kernelName, string kind) =>
        Kinds.Contains(kind, StringComparer.Ordinal) && (KernelNames.Count == 0 || KernelNames.Contains(kernelName, StringComparer.Ordinal));
}
