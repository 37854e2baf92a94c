using System.Globalization;
using System.Security.Cryptography;

namespace NotebookGateway.Server.Tests.Execution;

/// <summary>
/// A 5 s wall clock per cell with a 2 s interrupt grace, an audit log, JSON console logs, and alice with a 64 KiB
/// output cap per cell (everyone else keeps the 10 MiB default).
/// </summary>
public sealed class ExecutionGatewayFixture : GatewayFixture, IDisposable
{
    public const int WallClockSeconds = 5;
    public const int GraceSeconds = 2;
    public const int AliceOutputBytesPerCell = 64 * 1024;
    public static readonly string AliceToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("nbgw-exec-");

    public string AuditPath => Path.Combine(_directory.FullName, "audit.jsonl");

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Execution:WallClockSecondsPerCell"] = WallClockSeconds.ToString(CultureInfo.InvariantCulture),
        ["Execution:InterruptGraceSeconds"] = GraceSeconds.ToString(CultureInfo.InvariantCulture),
        ["Execution:Users:alice:OutputBytesPerCell"] = AliceOutputBytesPerCell.ToString(CultureInfo.InvariantCulture),
        ["Audit:Path"] = AuditPath,
        ["Logging:Format"] = "json",
        ["Users:0:Name"] = "alice",
        ["Users:0:TokenSha256"] = GatewayFixture.TokenSha256(AliceToken),
    };

    public void Dispose() => _directory.Delete(recursive: true);
}

[CollectionDefinition(Name)]
public sealed class ExecutionGatewayCollection : ICollectionFixture<ExecutionGatewayFixture>
{
    public const string Name = "gateway with execution limits";
}

/// <summary>A CPU budget of 2 s per 8 s window per kernel, no wall clock.</summary>
public sealed class CpuLimitGatewayFixture : GatewayFixture
{
    public const int CpuSeconds = 2;
    public const int WindowSeconds = 8;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Execution:WallClockSecondsPerCell"] = "0",
        ["Execution:CpuSecondsPerWindow"] = CpuSeconds.ToString(CultureInfo.InvariantCulture),
        ["Execution:CpuWindowSeconds"] = WindowSeconds.ToString(CultureInfo.InvariantCulture),
        ["Execution:CpuSampleSeconds"] = "0.5",
    };
}

[CollectionDefinition(Name)]
public sealed class CpuLimitGatewayCollection : ICollectionFixture<CpuLimitGatewayFixture>
{
    public const string Name = "gateway with a CPU window";
}

/// <summary>
/// Everything /metrics should show after a busy life: a 3 s wall clock, a 10 kB output cap, and a culler that takes
/// unconnected kernels idle for 3 s.
/// </summary>
public sealed class MetricsScrapeGatewayFixture : GatewayFixture
{
    public const int OutputBytesPerCell = 10_000;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Execution:WallClockSecondsPerCell"] = "3",
        ["Execution:InterruptGraceSeconds"] = "5",
        ["Channels:OutputBytesPerCell"] = OutputBytesPerCell.ToString(CultureInfo.InvariantCulture),
        ["Culling:IdleTimeoutSeconds"] = "3",
        ["Culling:IntervalSeconds"] = "1",
    };
}

[CollectionDefinition(Name)]
public sealed class MetricsScrapeGatewayCollection : ICollectionFixture<MetricsScrapeGatewayFixture>
{
    public const string Name = "gateway for the metrics scrape";
}
