using Microsoft.Extensions.Options;
using NotebookGateway.Server.Quotas;

namespace NotebookGateway.Server.Tests.Quotas;

public sealed class WorkspaceQuotaTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void TryReserveWorkspace_OverThePerUserLimit_NamesTheLimitAndTheUse()
    {
        var quotas = new KernelQuotas(Options.Create(new QuotaOptions { Default = new QuotaLimits { MaxWorkspaceMiB = 512 } }));

        Assert.Null(quotas.TryReserveWorkspace("a", "u", 256 * MiB, out bool first));
        Assert.True(first);
        Assert.Null(quotas.TryReserveWorkspace("b", "u", 256 * MiB, out _));
        string? refusal = quotas.TryReserveWorkspace("c", "u", 256 * MiB, out bool third);

        Assert.False(third);
        Assert.Equal("A limit of 512 MiB of workspace disk per user is set; user 'u' has 512 MiB reserved by 2 workspaces and this one needs 256 MiB.", refusal);
        Assert.Null(quotas.TryReserveWorkspace("c", "other", 256 * MiB, out _));
    }

    [Fact]
    public void TryReserveWorkspace_SameWorkspaceAgain_ReservesOnceAndReleaseGivesItBack()
    {
        var quotas = new KernelQuotas(Options.Create(new QuotaOptions { Default = new QuotaLimits { MaxWorkspaceMiB = 256 } }));

        Assert.Null(quotas.TryReserveWorkspace("a", "u", 256 * MiB, out bool created));
        Assert.Null(quotas.TryReserveWorkspace("a", "u", 256 * MiB, out bool again)); // a restart or kernel change in the same session
        Assert.True(created);
        Assert.False(again);
        Assert.NotNull(quotas.TryReserveWorkspace("b", "u", 256 * MiB, out _));

        quotas.ReleaseWorkspace("a");
        quotas.ReleaseWorkspace("a");

        Assert.Equal(0, quotas.WorkspaceBytesOf("u"));
        Assert.Null(quotas.TryReserveWorkspace("b", "u", 256 * MiB, out _));
    }

    [Fact]
    public void TryReserveWorkspace_GlobalLimit_CountsEveryUser()
    {
        var quotas = new KernelQuotas(Options.Create(new QuotaOptions { Default = new QuotaLimits(), Global = new QuotaLimits { MaxWorkspaceMiB = 300 } }));

        Assert.Null(quotas.TryReserveWorkspace("a", "u1", 256 * MiB, out _));

        Assert.Contains("gateway's limit of 300 MiB of workspace disk", quotas.TryReserveWorkspace("b", "u2", 256 * MiB, out _), StringComparison.Ordinal);
    }
}
