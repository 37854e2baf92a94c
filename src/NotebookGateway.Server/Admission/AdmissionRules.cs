using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using NotebookGateway.Server.Access;

namespace NotebookGateway.Server.Admission;

/// <summary>
/// The <c>Admission</c> section compiled once at start: gives each new kernel the <see cref="CodeAdmission"/> for its
/// owner and kernelspec (the size limit that wins and the deny rules whose scope takes it), all sharing the metrics.
/// </summary>
public sealed class AdmissionRules : IDisposable
{
    private readonly AdmissionOptions _options;
    private readonly Func<string, IReadOnlyList<string>> _groupsOf;
    private readonly IReadOnlyList<(DenyRuleOptions Options, DenyRule Rule)> _denyRules;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public AdmissionRules(IOptions<AdmissionOptions> options, KernelSpecAccess access, TimeProvider time, ILogger<CodeAdmission> logger, IMeterFactory? meterFactory = null)
        : this(options.Value, access.GroupsOf, time, logger, meterFactory)
    {
    }

    /// <param name="groupsOf">The groups of a user (<see cref="KernelSpecAccess.GroupsOf"/>).</param>
    /// <exception cref="ArgumentException">A pattern does not compile (the options were not validated).</exception>
    public AdmissionRules(AdmissionOptions options, Func<string, IReadOnlyList<string>> groupsOf, TimeProvider time, ILogger logger, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _groupsOf = groupsOf;
        _time = time;
        _logger = logger;
        // Compiled: every cell of every kernel in scope runs them, on the relay path.
        _denyRules = [.. options.DenyRules.Select(r => (r, new DenyRule(r.Name, r.Message,
            new Regex(r.Pattern, AdmissionOptions.PatternOptions | RegexOptions.Compiled, options.RegexTimeout))))];
        Metrics = new AdmissionMetrics(
            [AdmissionOptions.CodeSizeRule, AdmissionOptions.MalformedRequestRule, .. _denyRules.Select(r => r.Rule.Name)],
            _denyRules.Select(r => r.Rule.Name), meterFactory);
    }

    public AdmissionMetrics Metrics { get; }

    /// <summary>The admission check of a new kernel of <paramref name="owner"/> running <paramref name="kernelSpec"/>.</summary>
    public CodeAdmission For(string owner, string kernelSpec)
    {
        IReadOnlyList<string> groups = _groupsOf(owner);
        return new CodeAdmission(owner, MaxCodeBytes(owner, groups, kernelSpec),
            [.. _denyRules.Where(r => InScope(r.Options, owner, groups, kernelSpec)).Select(r => r.Rule)],
            _options.RegexTimeout, Metrics, _time, _logger);
    }

    /// <summary>The owner's own limit, else the largest of their groups' (0, no limit, is the largest), else the spec's, else the default.</summary>
    public long MaxCodeBytes(string owner, IReadOnlyList<string> groups, string kernelSpec)
    {
        if (_options.MaxCodeBytesPerUser.TryGetValue(owner, out long own))
        {
            return own;
        }
        long[] granted = [.. groups.Where(_options.MaxCodeBytesPerGroup.ContainsKey).Select(g => _options.MaxCodeBytesPerGroup[g])];
        if (granted.Length > 0)
        {
            return granted.Contains(0) ? 0 : granted.Max();
        }
        return _options.MaxCodeBytesPerKernelSpec.TryGetValue(kernelSpec, out long spec) ? spec : _options.MaxCodeBytes;
    }

    public void Dispose() => Metrics.Dispose();

    /// <summary>Specs, if listed, must name the kernel's; users and groups, if any is listed, must take the owner.</summary>
    private static bool InScope(DenyRuleOptions rule, string owner, IReadOnlyList<string> groups, string kernelSpec)
    {
        if (rule.KernelSpecs.Count > 0 && !rule.KernelSpecs.Contains(kernelSpec, StringComparer.Ordinal))
        {
            return false;
        }
        return (rule.Users.Count == 0 && rule.Groups.Count == 0)
            || rule.Users.Contains(owner, StringComparer.Ordinal)
            || groups.Any(g => rule.Groups.Contains(g, StringComparer.Ordinal));
    }
}

/// <summary>A compiled deny rule (its regex carries the timeout).</summary>
public sealed record DenyRule(string Name, string Message, Regex Pattern);
