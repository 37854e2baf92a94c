using NotebookGateway.Server.Access;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Tests.Access;

/// <summary>§7 item 19 for kernelspecs: denial wins, a non-empty allow list excludes the rest, groups add to it.</summary>
public sealed class KernelSpecAccessTests
{
    private static readonly UserOptions[] Users =
    [
        new() { Name = "student", Groups = ["students"] },
        new() { Name = "teacher", Groups = ["students", "staff"] },
        new() { Name = "loner" },
    ];

    private static KernelSpecAccess Create(KernelSpecAccessOptions options) => new(options, Users);

    [Fact]
    public void Refusal_NoRules_AllowsEverySpecToEveryone()
    {
        KernelSpecAccess access = Create(new KernelSpecAccessOptions());

        Assert.True(access.IsAllowed("loner", "python3"));
        Assert.True(access.IsAllowed("default", "anything"));
    }

    [Fact]
    public void Refusal_DeniedAndAllowed_DenialWinsAndTheMessageNamesUserAndSpec()
    {
        KernelSpecAccess access = Create(new KernelSpecAccessOptions
        {
            Groups = { ["students"] = new KernelSpecRule { Deny = ["r"] } },
            Users = { ["teacher"] = new KernelSpecRule { Allow = ["r", "python3"] } },
        });

        string? refusal = access.Refusal("teacher", "r");

        Assert.NotNull(refusal);
        Assert.Contains("User 'teacher'", refusal, StringComparison.Ordinal);
        Assert.Contains("kernel spec 'r'", refusal, StringComparison.Ordinal);
        Assert.Contains("group 'students'", refusal, StringComparison.Ordinal);
        Assert.True(access.IsAllowed("teacher", "python3"));
        Assert.True(access.IsAllowed("loner", "r")); // not in the group: the group's rule does not apply
    }

    [Fact]
    public void Refusal_NonEmptyAllowList_RefusesSpecsNotOnIt()
    {
        KernelSpecAccess access = Create(new KernelSpecAccessOptions { Default = new KernelSpecRule { Allow = ["python3"] } });

        Assert.True(access.IsAllowed("loner", "python3"));
        Assert.Contains("not in the allow list of KernelSpecAccess:Default", access.Refusal("loner", "gpu"), StringComparison.Ordinal);
    }

    [Fact]
    public void Refusal_GroupMembership_GrantsWhatTheDefaultAllowListDoesNot()
    {
        KernelSpecAccess access = Create(new KernelSpecAccessOptions
        {
            Default = new KernelSpecRule { Allow = ["python3"] },
            Groups = { ["staff"] = new KernelSpecRule { Allow = ["gpu"] } },
        });

        Assert.True(access.IsAllowed("teacher", "gpu"));
        Assert.True(access.IsAllowed("teacher", "python3"));
        Assert.False(access.IsAllowed("student", "gpu"));
        Assert.Equal(["students", "staff"], access.GroupsOf("teacher"));
        Assert.Empty(access.GroupsOf("default"));
    }

    [Fact]
    public void Refusal_Wildcard_MatchesEverySpec()
    {
        KernelSpecAccess access = Create(new KernelSpecAccessOptions
        {
            Users = { ["loner"] = new KernelSpecRule { Deny = ["*"] } },
        });

        Assert.False(access.IsAllowed("loner", "python3"));
        Assert.True(access.IsAllowed("student", "python3"));
    }

    [Fact]
    public void Validate_EmptyName_IsReportedWithItsPath()
    {
        var options = new KernelSpecAccessOptions { Groups = { ["g"] = new KernelSpecRule { Deny = [""] } } };

        Assert.Contains(options.Validate(), e => e.Contains("KernelSpecAccess:Groups:g", StringComparison.Ordinal));
    }
}
