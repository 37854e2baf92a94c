using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Execution;

/// <summary>Output caps one user gets instead of the <c>Channels</c> defaults (unset = the default).</summary>
public sealed class UserOutputLimits
{
    public long? OutputBytesPerCell { get; set; }

    public int? IOPubMessagesPerSecond { get; set; }

    public long? IOPubBytesPerSecond { get; set; }
}

/// <summary>Limits on running cells (the <c>Execution</c> section of gateway.json); 0 turns a limit off.</summary>
public sealed class ExecutionOptions
{
    public const string Section = "Execution";

    /// <summary>A cell running longer than this is interrupted; a kernelspec's <c>cell_timeout_seconds</c> can only lower it.</summary>
    public double WallClockSecondsPerCell { get; set; } = 600;

    /// <summary>After an interrupt (wall clock or CPU), how long the kernel has to become idle before it is restarted.</summary>
    public double InterruptGraceSeconds { get; set; } = 10;

    /// <summary>CPU seconds one kernel may use within <see cref="CpuWindowSeconds"/> (measured from its container's cgroup).</summary>
    public double CpuSecondsPerWindow { get; set; }

    public double CpuWindowSeconds { get; set; } = 60;

    /// <summary>How often a kernel's CPU usage is read from its container's cgroup (for the limits and for culling).</summary>
    public double CpuSampleSeconds { get; set; } = 1;

    /// <summary>
    /// CPU seconds a kernel may use within <see cref="BackgroundCpuWindowSeconds"/> while none of its cells is outstanding
    /// (work left running after a reply, real or forged): past it the kernel is interrupted, then restarted if it goes on.
    /// </summary>
    public double BackgroundCpuSecondsPerWindow { get; set; } = 30;

    public double BackgroundCpuWindowSeconds { get; set; } = 60;

    /// <summary>A sample interval in which the sandbox used at least this share of one core counts as activity (culling, the gateway's busy).</summary>
    public double ActiveCpuPercent { get; set; } = 5;

    /// <summary>Per-user output caps, by user name.</summary>
    public Dictionary<string, UserOutputLimits> Users { get; set; } = new(StringComparer.Ordinal);

    public TimeSpan InterruptGrace => TimeSpan.FromSeconds(InterruptGraceSeconds);

    public TimeSpan CpuWindow => TimeSpan.FromSeconds(CpuWindowSeconds);

    public TimeSpan CpuSampleInterval => TimeSpan.FromSeconds(CpuSampleSeconds);

    public TimeSpan BackgroundCpuWindow => TimeSpan.FromSeconds(BackgroundCpuWindowSeconds);

    /// <summary>The streaming-path limits for <paramref name="user"/>: the defaults with the user's overrides applied.</summary>
    public ChannelOptions ChannelOptionsFor(string user, ChannelOptions defaults)
    {
        if (!Users.TryGetValue(user, out UserOutputLimits? limits))
        {
            return defaults;
        }
        return new ChannelOptions
        {
            OfflineBufferMessages = defaults.OfflineBufferMessages,
            OfflineBufferSeconds = defaults.OfflineBufferSeconds,
            OutputBytesPerCell = limits.OutputBytesPerCell ?? defaults.OutputBytesPerCell,
            IOPubMessagesPerSecond = limits.IOPubMessagesPerSecond ?? defaults.IOPubMessagesPerSecond,
            IOPubBytesPerSecond = limits.IOPubBytesPerSecond ?? defaults.IOPubBytesPerSecond,
            RateWindowSeconds = defaults.RateWindowSeconds,
            MaxClientMessageBytes = defaults.MaxClientMessageBytes,
            PingIntervalSeconds = defaults.PingIntervalSeconds,
        };
    }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void NotNegative(string setting, double value)
        {
            if (value < 0 || double.IsNaN(value))
            {
                errors.Add($"Execution:{setting} must be 0 (off) or positive (it is {value}).");
            }
        }
        void Positive(string setting, double value)
        {
            if (!(value > 0))
            {
                errors.Add($"Execution:{setting} must be greater than 0 (it is {value}).");
            }
        }
        NotNegative(nameof(WallClockSecondsPerCell), WallClockSecondsPerCell);
        Positive(nameof(InterruptGraceSeconds), InterruptGraceSeconds);
        NotNegative(nameof(CpuSecondsPerWindow), CpuSecondsPerWindow);
        Positive(nameof(CpuWindowSeconds), CpuWindowSeconds);
        Positive(nameof(CpuSampleSeconds), CpuSampleSeconds);
        if (CpuSecondsPerWindow > 0 && CpuSampleSeconds >= CpuWindowSeconds)
        {
            errors.Add($"Execution:CpuSampleSeconds ({CpuSampleSeconds}) must be shorter than CpuWindowSeconds ({CpuWindowSeconds}).");
        }
        NotNegative(nameof(BackgroundCpuSecondsPerWindow), BackgroundCpuSecondsPerWindow);
        Positive(nameof(BackgroundCpuWindowSeconds), BackgroundCpuWindowSeconds);
        if (BackgroundCpuSecondsPerWindow > 0 && CpuSampleSeconds >= BackgroundCpuWindowSeconds)
        {
            errors.Add($"Execution:CpuSampleSeconds ({CpuSampleSeconds}) must be shorter than BackgroundCpuWindowSeconds ({BackgroundCpuWindowSeconds}).");
        }
        if (!(ActiveCpuPercent > 0 && ActiveCpuPercent <= 100))
        {
            errors.Add($"Execution:ActiveCpuPercent must be above 0 and at most 100 (it is {ActiveCpuPercent}).");
        }
        foreach ((string user, UserOutputLimits limits) in Users)
        {
            if (limits.OutputBytesPerCell is <= 0 || limits.IOPubMessagesPerSecond is <= 0 || limits.IOPubBytesPerSecond is <= 0)
            {
                errors.Add($"Execution:Users:{user} output limits must be greater than 0 when set.");
            }
        }
        return errors;
    }
}
