using System.Runtime.ExceptionServices;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>
/// One gateway process shared by a test collection. A start failure (missing build, bad config) is kept and thrown
/// by every test of the collection with the gateway's output, instead of a bare fixture error.
/// </summary>
public abstract class GatewayFixture : IAsyncLifetime
{
    private GatewayProcess? _gateway;
    private ExceptionDispatchInfo? _startFailure;
    private readonly SemaphoreSlim _sharedKernelLock = new(1, 1);
    private string? _sharedKernel;

    /// <summary>What a <c>Users</c> entry stores of a token: its lower-case hex SHA-256.</summary>
    public static string TokenSha256(string token) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    /// <summary>Configuration overrides of this collection's gateway (see <see cref="GatewaySettings"/>).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    public GatewayProcess Gateway
    {
        get
        {
            _startFailure?.Throw();
            return _gateway ?? throw new InvalidOperationException("The gateway fixture was not initialised.");
        }
    }

    /// <summary>What <see cref="IAsyncLifetime.DisposeAsync"/> saw when stopping the gateway (null before).</summary>
    public GatewayExit? Exit { get; private set; }

    /// <summary>Runs before the gateway starts (e.g. servers whose ports go into <see cref="Settings"/>).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>Runs after the gateway stopped.</summary>
    protected virtual Task AfterStopAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        try
        {
            await BeforeStartAsync();
            _gateway = await GatewayProcess.StartAsync(Settings);
        }
        catch (Exception ex)
        {
            _startFailure = ExceptionDispatchInfo.Capture(ex);
        }
    }

    /// <summary>
    /// A python3 kernel started once per collection for tests that only run cells and leave it usable
    /// (no restart, interrupt, shutdown or disconnection semantics).
    /// </summary>
    public async Task<string> SharedKernelAsync()
    {
        await _sharedKernelLock.WaitAsync();
        try
        {
            _sharedKernel ??= await GatewayRest.StartKernelAsync(Gateway);
            return _sharedKernel;
        }
        finally
        {
            _sharedKernelLock.Release();
        }
    }

    public async Task DisposeAsync()
    {
        if (_gateway is null)
        {
            await AfterStopAsync();
            return;
        }
        if (_sharedKernel is not null && !_gateway.HasExited)
        {
            await GatewayRest.TryDeleteKernelAsync(_gateway, _sharedKernel);
        }
        try
        {
            // Throws when the gateway does not exit within 30 s of SIGTERM (or with a non-zero code): xunit reports it
            // as a cleanup failure of the collection.
            Exit = await _gateway.StopAsync();
        }
        finally
        {
            await AfterStopAsync();
        }
    }
}

/// <summary>The gateway as configured in gateway.json (but for the per-user rates, off in every test gateway: see GatewayProcess).</summary>
public sealed class DefaultGatewayFixture : GatewayFixture;

/// <summary>Listing on: what JupyterLab-style clients (which poll GET /api/kernels and /api/sessions) need.</summary>
public sealed class ListingGatewayFixture : GatewayFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        [GatewaySettings.ListKernels] = "true",
    };
}

/// <summary>CORS configured with every option the gateway has, as Kernel Gateway's own CORS tests do.</summary>
public sealed class CorsGatewayFixture : GatewayFixture
{
    public const string Origin = "https://notebooks.example.test";
    public const string Methods = "GET,POST,DELETE,OPTIONS";
    public const string Headers = "Authorization,Content-Type";
    public const string Expose = "Location";
    public const string MaxAge = "600";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        [GatewaySettings.CorsAllowOrigin] = Origin,
        [GatewaySettings.CorsAllowMethods] = Methods,
        [GatewaySettings.CorsAllowHeaders] = Headers,
        [GatewaySettings.CorsExposeHeaders] = Expose,
        [GatewaySettings.CorsMaxAge] = MaxAge,
    };
}

/// <summary>Two users besides the default one, defined by token hashes as an operator would (Users section).</summary>
public sealed class UsersGatewayFixture : GatewayFixture
{
    public static readonly string AliceToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
    public static readonly string BobToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Users:0:Name"] = "alice",
        ["Users:0:TokenSha256"] = TokenSha256(AliceToken),
        ["Users:1:Name"] = "bob",
        ["Users:1:TokenSha256"] = TokenSha256(BobToken),
    };
}

[CollectionDefinition(Name)]
public sealed class UsersGatewayCollection : ICollectionFixture<UsersGatewayFixture>
{
    public const string Name = "gateway with users";
}

/// <summary>Small quotas: 2 kernels per user by default, 1 for alice, 1 session per user.</summary>
public sealed class QuotasGatewayFixture : GatewayFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Users:0:Name"] = "alice",
        ["Users:0:TokenSha256"] = TokenSha256(UsersGatewayFixture.AliceToken),
        ["Quotas:Default:MaxKernels"] = "2",
        ["Quotas:Default:MaxSessions"] = "1",
        ["Quotas:Users:alice:MaxKernels"] = "1",
    };
}

[CollectionDefinition(Name)]
public sealed class QuotasGatewayCollection : ICollectionFixture<QuotasGatewayFixture>
{
    public const string Name = "gateway with small quotas";
}

/// <summary>A culler with a seconds-long idle timeout that also culls connected kernels.</summary>
public sealed class CullingGatewayFixture : GatewayFixture
{
    public const int IdleTimeoutSeconds = 3;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Culling:IdleTimeoutSeconds"] = IdleTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Culling:IntervalSeconds"] = "1",
        ["Culling:CullConnected"] = "true",
    };
}

[CollectionDefinition(Name)]
public sealed class CullingGatewayCollection : ICollectionFixture<CullingGatewayFixture>
{
    public const string Name = "gateway with a fast culler";
}

/// <summary>Small output limits, so the streaming-path protections can be hit quickly.</summary>
public sealed class LimitsGatewayFixture : GatewayFixture
{
    public const long OutputBytesPerCell = 1 << 20;
    public const long MaxMessageBytes = 2 << 20;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Channels:OutputBytesPerCell"] = OutputBytesPerCell.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sandbox:Envelope:max_message_bytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Channels:PingIntervalSeconds"] = "1",
    };
}

[CollectionDefinition(Name)]
public sealed class LimitsGatewayCollection : ICollectionFixture<LimitsGatewayFixture>
{
    public const string Name = "gateway with small output limits";
}

[CollectionDefinition(Name)]
public sealed class DefaultGatewayCollection : ICollectionFixture<DefaultGatewayFixture>
{
    public const string Name = "gateway (gateway.json)";
}

[CollectionDefinition(Name)]
public sealed class ListingGatewayCollection : ICollectionFixture<ListingGatewayFixture>
{
    public const string Name = "gateway with listing (clients)";
}

[CollectionDefinition(Name)]
public sealed class CorsGatewayCollection : ICollectionFixture<CorsGatewayFixture>
{
    public const string Name = "gateway with CORS";
}
