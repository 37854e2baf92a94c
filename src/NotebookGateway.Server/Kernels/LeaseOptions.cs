namespace NotebookGateway.Server.Kernels;

/// <summary>
/// The <c>Leases</c> section: bounds on the leases clients ask for with <c>KERNEL_LEASE_SECONDS</c> (the kernelspec
/// bridge does), and how often they are checked.
/// </summary>
public sealed class LeaseOptions
{
    public const string Section = "Leases";

    /// <summary>How often leased kernels are checked; a lapsed lease is acted on within this much of its end.</summary>
    public int CheckIntervalSeconds { get; set; } = 2;

    /// <summary>The shortest lease a client may ask for.</summary>
    public int MinSeconds { get; set; } = 5;

    /// <summary>The longest lease a client may ask for.</summary>
    public int MaxSeconds { get; set; } = 3600;

    public TimeSpan CheckInterval => TimeSpan.FromSeconds(CheckIntervalSeconds);

    /// <summary>Every problem of the section, named by its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (CheckIntervalSeconds is < 1 or > 300)
        {
            errors.Add($"{Section}:{nameof(CheckIntervalSeconds)} must be 1-300 (got {CheckIntervalSeconds}).");
        }
        if (MinSeconds < 1)
        {
            errors.Add($"{Section}:{nameof(MinSeconds)} must be 1 or more (got {MinSeconds}).");
        }
        if (MaxSeconds < MinSeconds)
        {
            errors.Add($"{Section}:{nameof(MaxSeconds)} must be at least {nameof(MinSeconds)} ({MinSeconds}; got {MaxSeconds}).");
        }
        return errors;
    }
}
