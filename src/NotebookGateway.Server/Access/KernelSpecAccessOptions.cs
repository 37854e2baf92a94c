namespace NotebookGateway.Server.Access;

/// <summary>Kernelspec names one rule allows and denies (an empty <see cref="Allow"/> allows every spec; <c>*</c> matches every spec).</summary>
public sealed class KernelSpecRule
{
    public List<string> Allow { get; set; } = [];

    public List<string> Deny { get; set; } = [];
}

/// <summary>
/// The <c>KernelSpecAccess</c> section: a rule for everyone, rules per group (<c>Users[].Groups</c>) and per user.
/// A spec is usable when no rule that applies to the user denies it (denial wins, as Enterprise Gateway's
/// unauthorized_users) and, if any applicable rule has an allow list, one of those lists names it (allow lists add up,
/// so a group can grant a spec the default rule does not).
/// </summary>
public sealed class KernelSpecAccessOptions
{
    public const string Section = "KernelSpecAccess";

    public KernelSpecRule Default { get; set; } = new();

    public Dictionary<string, KernelSpecRule> Groups { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, KernelSpecRule> Users { get; set; } = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(string path, KernelSpecRule rule)
        {
            if (rule.Allow.Concat(rule.Deny).Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"KernelSpecAccess:{path}: an empty kernelspec name in Allow or Deny.");
            }
        }
        Check("Default", Default);
        foreach ((string group, KernelSpecRule rule) in Groups)
        {
            Check("Groups:" + group, rule);
        }
        foreach ((string user, KernelSpecRule rule) in Users)
        {
            Check("Users:" + user, rule);
        }
        return errors;
    }
}
