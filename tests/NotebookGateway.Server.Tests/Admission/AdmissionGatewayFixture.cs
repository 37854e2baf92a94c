using System.Globalization;
using System.Security.Cryptography;

namespace NotebookGateway.Server.Tests.Admission;

/// <summary>
/// Admission rules as an exam deployment would set them: 4 KiB of code per cell, <c>import socket</c> denied to the
/// group <c>students</c> (sam is in it, tina is not), a pathological rule for everyone that can only time out, a rule
/// for a spec that does not exist (so it never refuses), and an audit log.
/// </summary>
public sealed class AdmissionGatewayFixture : GatewayFixture, IDisposable
{
    public const int MaxCodeBytes = 4096;
    public const string SocketRule = "no_socket";
    public const string SocketMessage = "network sockets are not part of this exam";
    public const string SlowRule = "slow_rule";
    public const string UnusedRule = "never_used";
    public const string CodeSizeRuleName = NotebookGateway.Server.Admission.AdmissionOptions.CodeSizeRule;

    /// <summary>Catastrophic backtracking on a long run of x (see AdmissionRulesTests).</summary>
    public const string SlowPattern = AdmissionRulesTests.PathologicalPattern;

    public static readonly string SamToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
    public static readonly string TinaToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("nbgw-admission-");

    public string AuditPath => Path.Combine(_directory.FullName, "audit.jsonl");

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Users:0:Name"] = "sam",
        ["Users:0:TokenSha256"] = TokenSha256(SamToken),
        ["Users:0:Groups:0"] = "students",
        ["Users:1:Name"] = "tina",
        ["Users:1:TokenSha256"] = TokenSha256(TinaToken),
        ["Admission:MaxCodeBytes"] = MaxCodeBytes.ToString(CultureInfo.InvariantCulture),
        ["Admission:DenyRules:0:Name"] = SocketRule,
        ["Admission:DenyRules:0:Pattern"] = @"^\s*(import|from)\s+socket\b",
        ["Admission:DenyRules:0:Message"] = SocketMessage,
        ["Admission:DenyRules:0:Groups:0"] = "students",
        ["Admission:DenyRules:1:Name"] = SlowRule,
        ["Admission:DenyRules:1:Pattern"] = SlowPattern,
        ["Admission:DenyRules:1:Message"] = "never shown: this rule can only time out",
        ["Admission:DenyRules:2:Name"] = UnusedRule,
        ["Admission:DenyRules:2:Pattern"] = ".",
        ["Admission:DenyRules:2:Message"] = "no kernel has this spec",
        ["Admission:DenyRules:2:KernelSpecs:0"] = "no-such-spec",
        ["Audit:Path"] = AuditPath,
    };

    public void Dispose() => _directory.Delete(recursive: true);
}

[CollectionDefinition(Name)]
public sealed class AdmissionGatewayCollection : ICollectionFixture<AdmissionGatewayFixture>
{
    public const string Name = "gateway with admission rules";
}
