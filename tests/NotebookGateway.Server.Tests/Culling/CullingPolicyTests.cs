using NotebookGateway.Server.Culling;

namespace NotebookGateway.Server.Tests.Culling;

public sealed class CullingPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static CullCandidate Kernel(string id, int idleSeconds, string state = "idle", int connections = 0, string spec = "python3", int ageSeconds = 3600) =>
        new(id, spec, Now.AddSeconds(-ageSeconds), Now.AddSeconds(-idleSeconds), state, connections);

    [Fact]
    public void Select_IdleBeyondTheTimeout_IsCulledWithAReason()
    {
        var options = new CullingOptions { IdleTimeoutSeconds = 600 };

        var culled = CullingPolicy.Select([Kernel("old", 601), Kernel("fresh", 599)], Now, options);

        (string id, string reason) = Assert.Single(culled);
        Assert.Equal("old", id);
        Assert.Contains("idle for 601 s", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, false, 0)]
    [InlineData(true, false, 1)]
    [InlineData(false, true, 1)]
    [InlineData(true, true, 2)]
    public void Select_BusyAndConnectedKernels_AreKeptUnlessConfigured(bool cullBusy, bool cullConnected, int expected)
    {
        var options = new CullingOptions { IdleTimeoutSeconds = 60, CullBusy = cullBusy, CullConnected = cullConnected };

        var culled = CullingPolicy.Select([Kernel("busy", 120, state: "busy"), Kernel("connected", 120, connections: 1)], Now, options);

        Assert.Equal(expected, culled.Count);
    }

    [Fact]
    public void Select_PerSpecTimeoutAndLifetime_OverrideTheDefault()
    {
        var options = new CullingOptions
        {
            IdleTimeoutSeconds = 0,
            MaxLifetimeSeconds = 7200,
            SpecIdleTimeoutSeconds = { ["r"] = 30 },
        };

        var culled = CullingPolicy.Select(
        [
            Kernel("py-idle", 10_000),               // no default timeout: kept
            Kernel("r-idle", 31, spec: "r"),         // per-spec timeout
            Kernel("ancient", 0, ageSeconds: 7200, connections: 3, state: "busy"), // lifetime wins over everything
        ], Now, options);

        Assert.Equal(["r-idle", "ancient"], culled.Select(c => c.Id));
        Assert.Contains("maximum kernel lifetime", culled[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Interval_ZeroOrNegative_FallsBackTo300Seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(300), new CullingOptions { IntervalSeconds = 0 }.Interval);
        Assert.Equal(TimeSpan.FromSeconds(300), new CullingOptions { IntervalSeconds = -5 }.Interval);
        Assert.Equal(TimeSpan.FromSeconds(7), new CullingOptions { IntervalSeconds = 7 }.Interval);
    }

    [Fact]
    public void Validate_NegativeTimesAndParallelismOutOfRange_AreNamed()
    {
        var options = new CullingOptions
        {
            IdleTimeoutSeconds = -1,
            SessionRetentionSeconds = -5,
            Parallelism = 0,
            SpecIdleTimeoutSeconds = { ["r"] = -2 },
        };

        IReadOnlyList<string> errors = options.Validate();

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Culling:IdleTimeoutSeconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Culling:SessionRetentionSeconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Culling:SpecIdleTimeoutSeconds:r", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Culling:Parallelism must be 1-64", StringComparison.Ordinal));
        Assert.Empty(new CullingOptions().Validate());
    }
}
