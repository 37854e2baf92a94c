using System.Net;
using System.Runtime.ExceptionServices;
using System.Text.Json.Nodes;
using NotebookGateway.Testing;

namespace NotebookGateway.Bridge.Tests.Support;

/// <summary>
/// One real gateway (its Release build, sandboxed kernels) for the collection, with room for 20 kernels at once and
/// leases checked every second; the gateway's kernelspecs installed in a private Jupyter setup with a 10 s lease.
/// A start failure is kept and thrown by every test, with the gateway's output.
/// </summary>
public sealed class BridgeFixture : IAsyncLifetime
{
    public const int LeaseSeconds = 10;
    public const int LeaseCheckSeconds = 1;

    /// <summary>A user who may run one kernel at a time.</summary>
    public static readonly string QuotaUserToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    /// <summary>A user who may start one kernel a minute.</summary>
    public static readonly string RateUserToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    private GatewayProcess? _gateway;
    private BridgeEnvironment? _environment;
    private ExceptionDispatchInfo? _startFailure;

    public GatewayProcess Gateway
    {
        get
        {
            _startFailure?.Throw();
            return _gateway!;
        }
    }

    public BridgeEnvironment Environment
    {
        get
        {
            _startFailure?.Throw();
            return _environment!;
        }
    }

    public async Task InitializeAsync()
    {
        try
        {
            _gateway = await GatewayProcess.StartAsync(new Dictionary<string, string>
            {
                ["Quotas:Default:MaxKernels"] = "30",
                ["Quotas:Default:MaxMemoryMiB"] = "0",
                ["Quotas:Default:MaxCpus"] = "0",
                ["Quotas:Default:MaxWorkspaceMiB"] = "0",
                ["Leases:CheckIntervalSeconds"] = LeaseCheckSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Users:0:Name"] = "quota",
                ["Users:0:TokenSha256"] = Sha256(QuotaUserToken),
                ["Users:1:Name"] = "rate",
                ["Users:1:TokenSha256"] = Sha256(RateUserToken),
                ["Quotas:Users:quota:MaxKernels"] = "1",
                ["RateLimits:Users:rate:KernelStartsPerMinute"] = "1",
                // Large messages reach the bridge (its own bound is what the adversarial test checks).
                ["Channels:IOPubBytesPerSecond"] = "100000000",
            });
            _environment = new BridgeEnvironment(_gateway);
            await _environment.InstallAsync("--lease-seconds", LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception ex)
        {
            _startFailure = ExceptionDispatchInfo.Capture(ex);
        }
    }

    private static string Sha256(string token) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    /// <summary>The ids of the kernels the gateway has for the test user.</summary>
    public async Task<IReadOnlyList<string>> GatewayKernelsAsync()
    {
        using var timeout = new CancellationTokenSource(Timeouts.Short);
        using HttpResponseMessage response = await Gateway.Http.GetAsync(Gateway.Url("api/kernels"), timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var kernels = JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token)) as JsonArray;
        return kernels!.Select(k => k!["id"]!.GetValue<string>()).ToList();
    }

    /// <summary>Polls the gateway until <paramref name="done"/> holds for its kernel list; fails with the last list otherwise.</summary>
    public async Task<TimeSpan> WaitForKernelsAsync(Func<IReadOnlyList<string>, bool> done, TimeSpan timeout, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<string> seen = [];
        TimeSpan interval = TimeSpan.FromMilliseconds(100);
        while (clock.Elapsed < timeout)
        {
            seen = await GatewayKernelsAsync();
            if (done(seen))
            {
                return clock.Elapsed;
            }
            // Polling a condition with a bounded deadline (not a sleep standing in for an event).
            await Task.Delay(interval);
            interval = TimeSpan.FromMilliseconds(Math.Min(interval.TotalMilliseconds * 2, 500));
        }
        Assert.Fail($"{what}: not within {timeout.TotalSeconds:0} s; the gateway has [{string.Join(", ", seen)}]\n{Gateway.RecentOutput(60)}");
        return clock.Elapsed;
    }

    public async Task DisposeAsync()
    {
        _environment?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BridgeCollection : ICollectionFixture<BridgeFixture>
{
    public const string Name = "bridge (real gateway, real Jupyter tools)";
}
