
namespace NotebookGateway.Server.Tests.Hubs;

/// <summary>
/// Three users (alice, bob; bob may run one kernel; carol may hold one connection), one origin allowed to use the hub from other pages and a small
/// per-cell output limit and one admission deny rule: what the hub's Node.js client tests and origin tests need.
/// </summary>
public sealed class HubGatewayFixture : GatewayFixture
{
    public const string AllowedOrigin = "https://embed.example.test";
    public const int BobMaxKernels = 1;
    public const int OutputBytesPerCell = 256 * 1024;

    /// <summary>An admission deny rule for everyone, refusing cells that set the hub's marker.</summary>
    public const string AdmissionRule = "hub_marker";
    public const string AdmissionMessage = "the hub test refuses this marker";
    public const string AdmissionRefusedCode = "hub_refused_marker = 1";

    public static string AliceToken => UsersGatewayFixture.AliceToken;

    public static string BobToken => UsersGatewayFixture.BobToken;

    /// <summary>carol may hold one connection (websocket or hub) at a time.</summary>
    public const string CarolToken = "carol-token-7c1e4f0a9b2d4e6f8a0b1c2d3e4f5a6b";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Users:0:Name"] = "alice",
        ["Users:0:TokenSha256"] = TokenSha256(AliceToken),
        ["Users:1:Name"] = "bob",
        ["Users:1:TokenSha256"] = TokenSha256(BobToken),
        ["Users:2:Name"] = "carol",
        ["Users:2:TokenSha256"] = TokenSha256(CarolToken),
        ["RateLimits:Users:carol:ConcurrentWebSockets"] = "1",
        ["Quotas:Users:bob:MaxKernels"] = BobMaxKernels.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Hub:AllowOrigins:0"] = AllowedOrigin,
        ["Channels:OutputBytesPerCell"] = OutputBytesPerCell.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Admission:DenyRules:0:Name"] = AdmissionRule,
        ["Admission:DenyRules:0:Pattern"] = @"^hub_refused_marker\s*=",
        ["Admission:DenyRules:0:Message"] = AdmissionMessage,
    };
}

[CollectionDefinition(Name)]
public sealed class HubGatewayCollection : ICollectionFixture<HubGatewayFixture>
{
    public const string Name = "gateway with users and a hub origin";
}
