using System.Globalization;
using System.Security.Cryptography;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>
/// A gateway with one user per limit under test, so the tests of the collection do not use up each other's budgets:
/// small per-user rate limits, kernelspec rules by group, a one-workspace disk quota, a bad-token threshold of 3, and
/// kernel-less sessions removed after <see cref="SessionRetentionSeconds"/>.
/// </summary>
public sealed class LimitsAndAccessGatewayFixture : GatewayFixture
{
    public const int SessionRetentionSeconds = 3;
    public const int BadTokenAttempts = 3;

    /// <summary>Every user's token, by name.</summary>
    public static readonly IReadOnlyDictionary<string, string> Tokens = new[]
    {
        "starter", "executor", "connector", "denied", "contradicted", "narrow", "granted", "disk", "reaper",
    }.ToDictionary(name => name, _ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));

    private static readonly Dictionary<string, string[]> Groups = new()
    {
        ["denied"] = ["restricted"],
        ["contradicted"] = ["restricted", "staff"],
        ["narrow"] = ["narrow"],
        ["granted"] = ["narrow", "staff"],
    };

    protected override IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var settings = new Dictionary<string, string>
            {
                ["KernelSpecAccess:Groups:restricted:Deny:0"] = "python3",
                ["KernelSpecAccess:Groups:staff:Allow:0"] = "python3",
                ["KernelSpecAccess:Groups:narrow:Allow:0"] = "no-such-spec",
                ["RateLimits:Users:starter:KernelStartsPerMinute"] = "1",
                ["RateLimits:Users:executor:ExecuteRequestsPerMinute"] = "2",
                ["RateLimits:Users:connector:WebSocketConnectionsPerMinute"] = "1",
                ["RateLimits:BadTokenAttempts"] = BadTokenAttempts.ToString(CultureInfo.InvariantCulture),
                ["RateLimits:BadTokenWindowSeconds"] = "60",
                ["Culling:IntervalSeconds"] = "1",
                ["Culling:SessionRetentionSeconds"] = SessionRetentionSeconds.ToString(CultureInfo.InvariantCulture),
            };
            int i = 0;
            foreach ((string name, string token) in Tokens)
            {
                settings[$"Users:{i}:Name"] = name;
                settings[$"Users:{i}:TokenSha256"] = GatewayFixture.TokenSha256(token);
                foreach ((string group, int g) in Groups.GetValueOrDefault(name, []).Select((group, g) => (group, g)))
                {
                    settings[$"Users:{i}:Groups:{g}"] = group;
                }
                i++;
            }
            foreach (string user in new[] { "disk", "reaper" })
            {
                // A per-user entry replaces the default limits as a whole.
                settings[$"Quotas:Users:{user}:MaxKernels"] = "5";
                settings[$"Quotas:Users:{user}:MaxSessions"] = "5";
                settings[$"Quotas:Users:{user}:MaxWorkspaceMiB"] = "256"; // one python3 workspace
            }
            return settings;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LimitsAndAccessGatewayCollection : ICollectionFixture<LimitsAndAccessGatewayFixture>
{
    public const string Name = "gateway with rate limits, kernelspec access and session retention";
}
