using System.Text.RegularExpressions;

namespace NotebookGateway.Server.Admission;

/// <summary>
/// A regular expression that refuses the cells whose code it matches, for the kernelspecs, users and groups in its
/// scope. A policy tool, not a security boundary: code can be written so that no pattern sees it.
/// </summary>
public sealed class DenyRuleOptions
{
    /// <summary>Counted, audited and shown in the cell under this name (the <c>rule</c> label of <c>execution_refusals_total</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>A .NET regular expression, evaluated with <c>^</c>/<c>$</c> at line boundaries (multiline).</summary>
    public string Pattern { get; set; } = "";

    /// <summary>What the user reads in the refused cell.</summary>
    public string Message { get; set; } = "";

    /// <summary>Only kernels of these specs; empty: every spec.</summary>
    public List<string> KernelSpecs { get; set; } = [];

    /// <summary>Only kernels of these users (or of the members of <see cref="Groups"/>); both empty: every user.</summary>
    public List<string> Users { get; set; } = [];

    /// <summary>Only kernels of members of these groups (or of <see cref="Users"/>); both empty: every user.</summary>
    public List<string> Groups { get; set; } = [];
}

/// <summary>
/// The <c>Admission</c> section of gateway.json: checks on an execute_request's code before it reaches the kernel.
/// The code size limit is the most specific setting that applies to the kernel: its owner's own, else the largest of
/// the owner's groups' (a group grants more), else its kernelspec's, else <see cref="MaxCodeBytes"/>; 0 = no limit.
/// Every deny rule whose scope takes the kernel applies.
/// </summary>
public sealed partial class AdmissionOptions
{
    public const string Section = "Admission";

    /// <summary>The refusals of the size limit are counted and audited as this rule; no deny rule may take the name.</summary>
    public const string CodeSizeRule = "code_size";

    /// <summary>An execute_request whose content the gateway cannot read is refused as this rule (fail-closed).</summary>
    public const string MalformedRequestRule = "malformed_request";

    /// <summary>UTF-8 bytes of code (and user expressions) in one execute_request; 0 = no limit.</summary>
    public long MaxCodeBytes { get; set; } = 1024 * 1024;

    public Dictionary<string, long> MaxCodeBytesPerKernelSpec { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> MaxCodeBytesPerGroup { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> MaxCodeBytesPerUser { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long one deny rule may take on one cell; a rule that takes longer refuses the cell (fail-closed).</summary>
    public int RegexTimeoutMilliseconds { get; set; } = 100;

    public List<DenyRuleOptions> DenyRules { get; set; } = [];

    public TimeSpan RegexTimeout => TimeSpan.FromMilliseconds(RegexTimeoutMilliseconds);

    /// <summary>The options every deny rule's pattern is compiled with.</summary>
    public static RegexOptions PatternOptions => RegexOptions.Multiline | RegexOptions.CultureInvariant;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxCodeBytes < 0)
        {
            errors.Add($"Admission:MaxCodeBytes must be 0 (no limit) or positive (it is {MaxCodeBytes}).");
        }
        void CheckSizes(string setting, Dictionary<string, long> sizes)
        {
            foreach ((string key, long bytes) in sizes)
            {
                if (bytes < 0)
                {
                    errors.Add($"Admission:{setting}:{key} must be 0 (no limit) or positive (it is {bytes}).");
                }
            }
        }
        CheckSizes(nameof(MaxCodeBytesPerKernelSpec), MaxCodeBytesPerKernelSpec);
        CheckSizes(nameof(MaxCodeBytesPerGroup), MaxCodeBytesPerGroup);
        CheckSizes(nameof(MaxCodeBytesPerUser), MaxCodeBytesPerUser);
        if (RegexTimeoutMilliseconds is < 1 or > 10_000)
        {
            errors.Add($"Admission:RegexTimeoutMilliseconds must be 1 to 10000 (it is {RegexTimeoutMilliseconds}).");
        }
        var names = new HashSet<string>(StringComparer.Ordinal) { CodeSizeRule, MalformedRequestRule };
        for (int i = 0; i < DenyRules.Count; i++)
        {
            DenyRuleOptions rule = DenyRules[i];
            string path = $"Admission:DenyRules:{i}";
            if (!RuleNamePattern().IsMatch(rule.Name))
            {
                errors.Add($"{path}:Name '{rule.Name}' must be 1-64 lower-case letters, digits or '_', starting with a letter.");
            }
            else if (!names.Add(rule.Name))
            {
                errors.Add($"{path}:Name '{rule.Name}' is used twice (or is the reserved '{CodeSizeRule}' or '{MalformedRequestRule}').");
            }
            if (string.IsNullOrEmpty(rule.Pattern))
            {
                errors.Add($"{path}:Pattern is empty.");
            }
            else if (CompileError(rule.Pattern) is { } error)
            {
                errors.Add($"{path}:Pattern is not a valid regular expression: {error}");
            }
            if (string.IsNullOrWhiteSpace(rule.Message))
            {
                errors.Add($"{path}:Message is empty: say why the cell is refused.");
            }
            if (rule.KernelSpecs.Concat(rule.Users).Concat(rule.Groups).Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{path}: an empty name in KernelSpecs, Users or Groups.");
            }
        }
        return errors;
    }

    private static string? CompileError(string pattern)
    {
        try
        {
            _ = new Regex(pattern, PatternOptions, TimeSpan.FromSeconds(1));
            return null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex RuleNamePattern();
}
