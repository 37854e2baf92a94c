using System.Diagnostics;
using System.Net;
using NotebookGateway.Server.Tests.Support;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Kernels;

/// <summary>
/// <c>KERNEL_LEASE_SECONDS</c> on a real gateway (gateway.json: leases checked every 2 s, 5-3600 s): a leased kernel
/// nobody holds is shut down within its lease plus the check interval; a held one lives on; bad values are a 400.
/// </summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class KernelLeaseTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const int LeaseSeconds = 5;
    private const int CheckIntervalSeconds = 2;

    [Fact]
    public async Task LeasedKernel_NeverConnected_IsShutDownWithinLeasePlusInterval()
    {
        var clock = Stopwatch.StartNew();
        string id = await StartLeasedAsync(LeaseSeconds);

        TimeSpan gone = await WaitUntilGoneAsync(id, TimeSpan.FromSeconds(LeaseSeconds + CheckIntervalSeconds + 15));

        Assert.True(gone >= TimeSpan.FromSeconds(LeaseSeconds - 1), $"shut down before its lease ran out: {gone}");
        Assert.True(clock.Elapsed <= TimeSpan.FromSeconds(LeaseSeconds + CheckIntervalSeconds + 15), $"lease bound exceeded: {clock.Elapsed}");
    }

    [Fact]
    public async Task LeasedKernel_HeldBySocket_OutlivesItsLease_AndGoesOnceTheSocketCloses()
    {
        string id = await StartLeasedAsync(LeaseSeconds);
        KernelSocket socket = await ConnectAsync(id);

        // Held for three leases: still there and still answering.
        var held = Stopwatch.StartNew();
        while (held.Elapsed < TimeSpan.FromSeconds(3 * LeaseSeconds))
        {
            await socket.KernelInfoAsync();
            RestResponse alive = await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}");
            GatewayRest.ExpectStatus(alive, HttpStatusCode.OK, Gateway);
            await Task.Delay(TimeSpan.FromSeconds(1)); // pacing of the checks, not synchronisation
        }

        await socket.DisposeAsync();
        var released = Stopwatch.StartNew();
        await WaitUntilGoneAsync(id, TimeSpan.FromSeconds(LeaseSeconds + CheckIntervalSeconds + 15));
        Assert.True(released.Elapsed >= TimeSpan.FromSeconds(LeaseSeconds - 1), $"shut down before the lease after the close ran out: {released.Elapsed}");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("999999")]
    [InlineData("ten")]
    [InlineData("-5")]
    public async Task LeaseOutsideTheBounds_IsRefusedWith400(string value)
    {
        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/kernels",
            $$$"""{"name":"python3","env":{"KERNEL_LEASE_SECONDS":"{{{value}}}"}}""", TestTimeouts.KernelStart);

        var error = GatewayRest.ExpectJsonError(response, HttpStatusCode.BadRequest);
        Assert.Contains("KERNEL_LEASE_SECONDS", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<string> StartLeasedAsync(int seconds)
    {
        RestResponse created = await GatewayRest.PostAsync(Gateway, "api/kernels",
            $$$"""{"name":"python3","env":{"KERNEL_LEASE_SECONDS":"{{{seconds}}}"}}""", TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string id = created.Json!["id"]!.GetValue<string>();
        DeleteAfterTest(id);
        return id;
    }

    private async Task<TimeSpan> WaitUntilGoneAsync(string id, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        await GatewayRest.EventuallyAsync(async () =>
        {
            RestResponse response = await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}");
            return (response.Status == HttpStatusCode.NotFound, response.ToString());
        }, timeout, $"leased kernel {id} shut down");
        return clock.Elapsed;
    }
}
