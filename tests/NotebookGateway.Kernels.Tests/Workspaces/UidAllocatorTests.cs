using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Workspaces;

namespace NotebookGateway.Kernels.Tests.Workspaces;

public sealed class UidAllocatorTests
{
    [Fact]
    public void Allocate_HostAccountsAndSubordinateRanges_AreSkipped()
    {
        using var dir = new TempDirectory("uids");
        File.WriteAllText(dir.Combine("passwd"), "root:x:0:0::/root:/bin/sh\nalice:x:5000:5003::/home/alice:/bin/sh\n");
        File.WriteAllText(dir.Combine("group"), "staff:x:5001:\n");
        File.WriteAllText(dir.Combine("subuid"), "alice:5004:3\n");
        var allocator = new UidAllocator(new UidRangeOptions { First = 5000, Count = 10 },
            [dir.Combine("passwd"), dir.Combine("group"), dir.Combine("subuid")]);

        var uids = Enumerable.Range(0, 4).Select(_ => allocator.Allocate()).ToList();

        // 5000 is alice, 5001 a group, 5003 alice's gid, 5004-5006 her subordinate uids.
        Assert.Equal([5002u, 5007u, 5008u, 5009u], uids);
        Assert.Throws<InvalidOperationException>(() => allocator.Allocate());
    }

    [Fact]
    public void Allocate_TwoSessions_NeverShareAUidUntilReleased()
    {
        var allocator = new UidAllocator(new UidRangeOptions { First = 400_000, Count = 2 }, []);

        var first = allocator.Allocate();
        var second = allocator.Allocate();
        Assert.NotEqual(first, second);
        Assert.Throws<InvalidOperationException>(() => allocator.Allocate());

        allocator.Release(first);
        Assert.Equal(first, allocator.Allocate());
    }

    [Fact]
    public void Allocate_RealHost_NeverReturnsAnAccountOfThisMachine()
    {
        var hostUids = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Where(f => f.Length > 2).Select(f => uint.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var first = hostUids.Where(u => u is > 0 and < 60_000).DefaultIfEmpty(1000u).Max();
        var allocator = new UidAllocator(new UidRangeOptions { First = first, Count = 3 });

        var uid = allocator.Allocate();

        Assert.DoesNotContain(uid, hostUids);
    }
}
