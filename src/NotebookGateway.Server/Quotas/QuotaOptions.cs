namespace NotebookGateway.Server.Quotas;

/// <summary>Limits for one user (0 = no limit).</summary>
public sealed class QuotaLimits
{
    /// <summary>Running kernels, starts in progress included.</summary>
    public int MaxKernels { get; set; }

    public int MaxSessions { get; set; }

    /// <summary>Memory reserved by the envelopes of the user's kernels.</summary>
    public int MaxMemoryMiB { get; set; }

    /// <summary>CPUs reserved by the envelopes of the user's kernels.</summary>
    public double MaxCpus { get; set; }

    /// <summary>Disk reserved by the workspaces of the user's notebook sessions (each one the size of its spec's envelope).</summary>
    public int MaxWorkspaceMiB { get; set; }
}

/// <summary>The <c>Quotas</c> section: a default for every user, overrides per user, and gateway-wide caps.</summary>
public sealed class QuotaOptions
{
    public const string Section = "Quotas";

    public QuotaLimits Default { get; set; } = new() { MaxKernels = 10, MaxSessions = 20, MaxMemoryMiB = 8192, MaxCpus = 16, MaxWorkspaceMiB = 10240 };

    public Dictionary<string, QuotaLimits> Users { get; set; } = new(StringComparer.Ordinal);

    public QuotaLimits Global { get; set; } = new() { MaxKernels = 500 };

    public QuotaLimits For(string user) => Users.TryGetValue(user, out QuotaLimits? limits) ? limits : Default;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(string path, QuotaLimits limits)
        {
            if (limits.MaxKernels < 0 || limits.MaxSessions < 0 || limits.MaxMemoryMiB < 0 || limits.MaxCpus < 0 || limits.MaxWorkspaceMiB < 0)
            {
                errors.Add($"Quotas:{path} limits must be 0 (no limit) or positive.");
            }
        }
        Check("Default", Default);
        Check("Global", Global);
        foreach ((string user, QuotaLimits limits) in Users)
        {
            Check("Users:" + user, limits);
        }
        return errors;
    }
}
