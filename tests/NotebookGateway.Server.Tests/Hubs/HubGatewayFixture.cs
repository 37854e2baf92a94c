using NotebookGateway.Server.Tests.Support;

namespace NotebookGateway.Server.Tests.Hubs;

/// <summary>
/// Two users (alice, bob; bob may run one kernel) and one origin allowed to use the hub from other pages: what the hub's
/// Node.js client tests and origin tests need.
/// </summary>
public sealed class HubGatewayFixture : GatewayFixture
{
    public const string AllowedOrigin = "https://embed.example.test";
    public const int BobMaxKernels = 1;

    public static string AliceToken => UsersGatewayFixture.AliceToken;

    public static string BobToken => UsersGatewayFixture.BobToken;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Users:0:Name"] = "alice",
        ["Users:0:TokenSha256"] = Sha256(AliceToken),
        ["Users:1:Name"] = "bob",
        ["Users:1:TokenSha256"] = Sha256(BobToken),
        ["Quotas:Users:bob:MaxKernels"] = BobMaxKernels.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Hub:AllowOrigins:0"] = AllowedOrigin,
    };

    private static string Sha256(string token) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
}

[CollectionDefinition(Name)]
public sealed class HubGatewayCollection : ICollectionFixture<HubGatewayFixture>
{
    public const string Name = "gateway with users and a hub origin";
}
