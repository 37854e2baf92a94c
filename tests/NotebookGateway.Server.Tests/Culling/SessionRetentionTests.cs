using NotebookGateway.Server.Culling;

namespace NotebookGateway.Server.Tests.Culling;

public sealed class SessionRetentionTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(10);

    [Fact]
    public void Expired_KernellessForTheRetentionTime_IsReturnedOnlyThen()
    {
        var time = new ManualTimeProvider();
        var retention = new SessionRetention(time);

        Assert.Empty(retention.Expired([("gone", false), ("alive", true)], Retention));
        time.Advance(Retention - TimeSpan.FromSeconds(1));
        Assert.Empty(retention.Expired([("gone", false), ("alive", true)], Retention));
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(["gone"], retention.Expired([("gone", false), ("alive", true)], Retention));
    }

    [Fact]
    public void Expired_KernelComesBack_StartsTheRetentionFromZero()
    {
        var time = new ManualTimeProvider();
        var retention = new SessionRetention(time);

        retention.Expired([("s", false)], Retention);
        time.Advance(TimeSpan.FromMinutes(9));
        retention.Expired([("s", true)], Retention); // restarted, or a new kernel through PATCH
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Empty(retention.Expired([("s", false)], Retention));
        time.Advance(Retention);

        Assert.Equal(["s"], retention.Expired([("s", false)], Retention));
    }

    [Fact]
    public void Expired_ZeroRetention_KeepsSessionsForever()
    {
        var time = new ManualTimeProvider();
        var retention = new SessionRetention(time);

        retention.Expired([("s", false)], TimeSpan.Zero);
        time.Advance(TimeSpan.FromDays(365));

        Assert.Empty(retention.Expired([("s", false)], TimeSpan.Zero));
    }

    [Fact]
    public void Expired_SessionDeletedMeanwhile_IsForgotten()
    {
        var time = new ManualTimeProvider();
        var retention = new SessionRetention(time);

        retention.Expired([("s", false)], Retention);
        time.Advance(Retention);
        retention.Expired([], Retention); // deleted by its user
        // A new session that happens to reuse the id starts from zero.
        Assert.Empty(retention.Expired([("s", false)], Retention));
    }
}
