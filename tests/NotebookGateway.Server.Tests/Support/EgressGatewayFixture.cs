using System.Globalization;
using System.Security.Cryptography;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>
/// A gateway with an egress policy <c>loopback</c> (the test servers, by literal address, and a 1 MiB download cap)
/// given to group <c>data</c>: alice is in it, bob is not, carol is in it but her own entry says <c>none</c>. The
/// proxy variables are on the client environment allow list, so the tests can show that asking for them gives nothing.
/// The audit log goes to a file of the fixture.
/// </summary>
public sealed class EgressGatewayFixture : GatewayFixture
{
    public const long MaxBytesDown = 1024 * 1024;

    public static readonly IReadOnlyDictionary<string, string> Tokens = new[] { "alice", "bob", "carol" }
        .ToDictionary(name => name, _ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));

    public EgressTestServer Server { get; private set; } = null!;

    public string AuditPath { get; } = Path.Combine(Path.GetTempPath(), $"nbgw-egress-audit-{Guid.NewGuid():N}.jsonl");

    protected override IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var settings = new Dictionary<string, string>
            {
                ["Egress:Policies:loopback:Destinations:0"] = $"127.0.0.1:{Server.HttpPort}",
                ["Egress:Policies:loopback:Destinations:1"] = $"127.0.0.1:{Server.HttpsPort}",
                ["Egress:Policies:loopback:MaxBytesDown"] = MaxBytesDown.ToString(CultureInfo.InvariantCulture),
                ["Egress:Groups:data:*"] = "loopback",
                ["Egress:Users:carol:*"] = "none",
                ["Egress:NoProxy"] = "",
                ["Audit:Path"] = AuditPath,
            };
            string[] asked = ["NBGW_NETWORK_POLICY", "NBGW_EGRESS_ALLOW", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"];
            for (int i = 0; i < asked.Length; i++)
            {
                settings[$"Gateway:EnvAllowList:{i}"] = asked[i];
            }
            int u = 0;
            foreach ((string name, string token) in Tokens)
            {
                settings[$"Users:{u}:Name"] = name;
                settings[$"Users:{u}:TokenSha256"] = GatewayFixture.TokenSha256(token);
                if (name is "alice" or "carol")
                {
                    settings[$"Users:{u}:Groups:0"] = "data";
                }
                u++;
            }
            return settings;
        }
    }

    protected override async Task BeforeStartAsync() => Server = await EgressTestServer.StartAsync();

    protected override async Task AfterStopAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        File.Delete(AuditPath);
    }
}

[CollectionDefinition(Name)]
public sealed class EgressGatewayCollection : ICollectionFixture<EgressGatewayFixture>
{
    public const string Name = "gateway with an egress policy";
}
