using Microsoft.Extensions.Options;
using NotebookGateway.Server.Quotas;

namespace NotebookGateway.Server.Tests.Quotas;

public sealed class KernelQuotasTests
{
    private static KernelQuotas Create(QuotaOptions options) => new(Options.Create(options));

    [Fact]
    public async Task TryReserveKernel_ManyConcurrentStarts_ExactlyTheLimitSucceeds()
    {
        var quotas = Create(new QuotaOptions { Default = new QuotaLimits { MaxKernels = 3 } });

        string?[] results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => quotas.TryReserveKernel($"k{i}", "u", 512, 1))));

        Assert.Equal(3, results.Count(r => r is null));
        Assert.All(results.Where(r => r is not null), r => Assert.Contains("limit of 3 kernels per user", r, StringComparison.Ordinal));
        Assert.Equal(3, quotas.KernelsOf("u"));
    }

    [Fact]
    public void ReleaseKernel_FailedOrEndedStart_GivesTheSlotBackOnce()
    {
        var quotas = Create(new QuotaOptions { Default = new QuotaLimits { MaxKernels = 1 } });
        Assert.Null(quotas.TryReserveKernel("a", "u", 512, 1));
        Assert.NotNull(quotas.TryReserveKernel("b", "u", 512, 1));

        quotas.ReleaseKernel("a");
        quotas.ReleaseKernel("a");

        Assert.Null(quotas.TryReserveKernel("c", "u", 512, 1));
        Assert.Equal(1, quotas.KernelsOf("u"));
    }

    [Fact]
    public void TryReserveKernel_MemoryCpuAndGlobalLimits_NameTheLimitAndTheUse()
    {
        var quotas = Create(new QuotaOptions
        {
            Default = new QuotaLimits { MaxMemoryMiB = 1024, MaxCpus = 4 },
            Users = { ["big"] = new QuotaLimits { MaxCpus = 1.5 } },
            Global = new QuotaLimits { MaxKernels = 3 },
        });

        Assert.Null(quotas.TryReserveKernel("1", "u", 512, 1));
        Assert.Null(quotas.TryReserveKernel("2", "u", 512, 1));
        Assert.Contains("1024 MiB", quotas.TryReserveKernel("3", "u", 512, 1), StringComparison.Ordinal);
        Assert.Null(quotas.TryReserveKernel("4", "big", 512, 1));
        Assert.Contains("1.5 CPUs", quotas.TryReserveKernel("5", "big", 512, 1), StringComparison.Ordinal);
        Assert.Contains("gateway's limit of 3 kernels", quotas.TryReserveKernel("6", "other", 1, 0.1), StringComparison.Ordinal);
    }

    [Fact]
    public void TryReserveSession_OverTheLimit_IsRefusedUntilOneEnds()
    {
        var quotas = Create(new QuotaOptions { Default = new QuotaLimits { MaxSessions = 1 } });

        Assert.Null(quotas.TryReserveSession("s1", "u"));
        Assert.Contains("1 notebook sessions per user", quotas.TryReserveSession("s2", "u"), StringComparison.Ordinal);
        quotas.ReleaseSession("s1");
        Assert.Null(quotas.TryReserveSession("s2", "u"));
    }
}
