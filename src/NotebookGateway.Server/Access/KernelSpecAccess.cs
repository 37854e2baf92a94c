using NotebookGateway.Egress.Options;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Access;

/// <summary>
/// Which kernelspecs a user may start and see (see <see cref="KernelSpecAccessOptions"/> for the rules), and under which
/// network policy (<see cref="NetworkPolicyFor"/>).
/// </summary>
public sealed partial class KernelSpecAccess
{
    private const string Wildcard = "*";
    private readonly KernelSpecAccessOptions _options;
    private readonly EgressOptions _egress;
    private readonly Dictionary<string, IReadOnlyList<string>> _groupsByUser;

    public KernelSpecAccess(KernelSpecAccessOptions options, IEnumerable<UserOptions> users, EgressOptions? egress = null)
    {
        _options = options;
        _egress = egress ?? new EgressOptions();
        _groupsByUser = users.ToDictionary(u => u.Name, u => (IReadOnlyList<string>)u.Groups.ToList(), StringComparer.Ordinal);
    }

    /// <summary>The groups a user belongs to (the built-in default user belongs to none).</summary>
    public IReadOnlyList<string> GroupsOf(string user) => _groupsByUser.GetValueOrDefault(user) ?? [];

    public bool IsAllowed(string user, string spec) => Refusal(user, spec) is null;

    /// <summary>Null when <paramref name="user"/> may use <paramref name="spec"/>; otherwise why not (for a 403).</summary>
    public string? Refusal(string user, string spec)
    {
        List<(string Source, KernelSpecRule Rule)> rules = RulesFor(user);
        if (rules.FirstOrDefault(r => Matches(r.Rule.Deny, spec)) is { Rule: not null } denying)
        {
            return $"User '{user}' is not authorized to start kernel spec '{spec}' (denied by {denying.Source}).";
        }
        List<(string Source, KernelSpecRule Rule)> allowing = rules.Where(r => r.Rule.Allow.Count > 0).ToList();
        if (allowing.Count > 0 && !allowing.Any(r => Matches(r.Rule.Allow, spec)))
        {
            return $"User '{user}' is not authorized to start kernel spec '{spec}' (not in the allow list of {string.Join(", ", allowing.Select(r => r.Source))}).";
        }
        return null;
    }

    private List<(string Source, KernelSpecRule Rule)> RulesFor(string user)
    {
        var rules = new List<(string, KernelSpecRule)> { ("KernelSpecAccess:Default", _options.Default) };
        foreach (string group in GroupsOf(user))
        {
            if (_options.Groups.TryGetValue(group, out KernelSpecRule? rule))
            {
                rules.Add(($"group '{group}'", rule));
            }
        }
        if (_options.Users.TryGetValue(user, out KernelSpecRule? own))
        {
            rules.Add(($"user '{user}'", own));
        }
        return rules;
    }

    private static bool Matches(List<string> names, string spec) =>
        names.Contains(Wildcard, StringComparer.Ordinal) || names.Contains(spec, StringComparer.Ordinal);
}
