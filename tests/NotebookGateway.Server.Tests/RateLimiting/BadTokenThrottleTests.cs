using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotebookGateway.Server.RateLimiting;

namespace NotebookGateway.Server.Tests.RateLimiting;

public sealed class BadTokenThrottleTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress Other = IPAddress.Parse("192.0.2.8");

    [Fact]
    public void Check_AfterTooManyWrongTokens_BlocksThatAddressOnlyUntilTheWindowEnds()
    {
        var time = new ManualTimeProvider();
        using var throttle = new BadTokenThrottle(Options.Create(new RateLimitOptions { BadTokenAttempts = 3, BadTokenWindowSeconds = 60 }), time, NullLogger<BadTokenThrottle>.Instance);

        for (int i = 0; i < 3; i++)
        {
            throttle.RecordFailure(Guesser);
            Assert.Null(throttle.Check(Guesser));
        }
        throttle.RecordFailure(Guesser); // the fourth within the window

        RateLimitRefusal? refusal = throttle.Check(Guesser);
        Assert.NotNull(refusal);
        Assert.Equal(RateLimitKinds.BadToken, refusal.Kind);
        Assert.Equal(60, refusal.RetryAfterSeconds);
        Assert.Null(throttle.Check(Other));

        time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(15, throttle.Check(Guesser)!.RetryAfterSeconds);
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Null(throttle.Check(Guesser));
    }

    [Fact]
    public void RecordFailure_ZeroAttempts_NeverBlocks()
    {
        using var throttle = new BadTokenThrottle(Options.Create(new RateLimitOptions { BadTokenAttempts = 0 }), new ManualTimeProvider(), NullLogger<BadTokenThrottle>.Instance);

        for (int i = 0; i < 1000; i++)
        {
            throttle.RecordFailure(Guesser);
        }

        Assert.Null(throttle.Check(Guesser));
    }
}
