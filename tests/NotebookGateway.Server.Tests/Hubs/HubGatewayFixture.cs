
namespace NotebookGateway.Server.Tests.Hubs;

/// <summary>
/// Three users (alice, bob; bob may run one kernel; carol may hold one connection), one origin allowed to use the hub from other pages and a small
/// per-cell output limit: what the hub's Node.js client tests and origin tests need.
/// </summary>
public sealed class HubGatewayFixture : GatewayFixture
{
    public const string AllowedOrigin = "https://embed.example.test";
    public const int BobMaxKernels = 1;
    public const int OutputBytesPerCell = 256 * 1024;

    public static string AliceToken => UsersGatewayFixture.AliceToken;

    public static string BobToken => UsersGatewayFixture.BobToken;

    /// <summary>carol may hold one connection (websocket or hub) at a time.</summary>
    public const string CarolToken = "carol-token-7c1e4f0a9b2d4e6f8a0b1c2d3e4f5a6b";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Users:0:Name"] = "alice",
        ["Users:0:TokenSha256"] = Sha256(AliceToken),
        ["Users:1:Name"] = "bob",
        ["Users:1:TokenSha256"] = Sha256(BobToken),
        ["Users:2:Name"] = "carol",
        ["Users:2:TokenSha256"] = Sha256(CarolToken),
        ["RateLimits:Users:carol:ConcurrentWebSockets"] = "1",
        ["Quotas:Users:bob:MaxKernels"] = BobMaxKernels.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Hub:AllowOrigins:0"] = AllowedOrigin,
        ["Channels:OutputBytesPerCell"] = OutputBytesPerCell.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string Sha256(string token) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
}

[CollectionDefinition(Name)]
public sealed class HubGatewayCollection : ICollectionFixture<HubGatewayFixture>
{
    public const string Name = "gateway with users and a hub origin";
}
