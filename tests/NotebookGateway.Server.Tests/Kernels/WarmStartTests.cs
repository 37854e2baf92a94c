using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Kernels;

/// <summary>A python3 pool of one on the real gateway: the waiting sandbox counts against no user until handed out.</summary>
public sealed class PoolGatewayFixture : GatewayFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Sandbox:Pool:Specs:python3:Size"] = "1",
        ["Sandbox:Pool:RefillIntervalMilliseconds"] = "50",
        ["Quotas:Default:MaxKernels"] = "1",
    };
}

[CollectionDefinition(Name)]
public sealed class PoolGatewayCollection : ICollectionFixture<PoolGatewayFixture>
{
    public const string Name = "gateway with a python3 pool";
}

/// <summary>
/// Warm starts through the Kernel Gateway API: the response and the kernel are those of a cold start (listed, connected,
/// executing in its workspace), the pooled sandbox is neither listed nor charged to anyone's quota before it is handed out,
/// and <c>kernel_start_seconds{path}</c>, <c>kernel_pool_hits_total</c> and <c>kernel_pool_ready</c> report it.
/// </summary>
[Collection(PoolGatewayCollection.Name)]
public sealed class WarmStartTests(PoolGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Start_TakesTheWaitingSandbox_WhichNoQuotaCountedBefore()
    {
        await WaitForReadyAsync();
        JsonArray before = JsonNode.Parse((await GatewayRest.GetAsync(Gateway, "api/kernels")).Body)!.AsArray();
        double hitsBefore = await MetricAsync("kernel_pool_hits_total", "kernel_name=\"python3\"");

        // The user's quota is one kernel; the waiting sandbox is not theirs, so the start succeeds, warm.
        string kernelId = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(kernelId);
        ExecuteResult result = await socket.ExecuteAsync("import os; print(os.getcwd(), os.getuid() >= 200000)");
        RestResponse second = await GatewayRest.PostAsync(Gateway, "api/kernels", """{"name": "python3"}""");

        Assert.Empty(before);
        Assert.Equal("/home/sandbox/work True", result.Stdout.Trim());
        Assert.Equal(hitsBefore + 1, await MetricAsync("kernel_pool_hits_total", "kernel_name=\"python3\""));
        Assert.True(await MetricAsync("kernel_start_seconds_count", "path=\"warm\"", "kernel_name=\"python3\"") >= 1);
        JsonArray listed = JsonNode.Parse((await GatewayRest.GetAsync(Gateway, "api/kernels")).Body)!.AsArray();
        Assert.Equal(kernelId, (string?)Assert.Single(listed)!["id"]);
        // The quota counts the handed-out kernel only: a second start is refused, and leaves the pool alone.
        GatewayRest.ExpectJsonError(second, HttpStatusCode.Forbidden);
        await WaitForReadyAsync();
    }

    private Task WaitForReadyAsync() => GatewayRest.EventuallyAsync(async () =>
    {
        double ready = await MetricAsync("kernel_pool_ready", "kernel_name=\"python3\"");
        return (ready >= 1, $"kernel_pool_ready {ready}");
    }, TimeSpan.FromSeconds(90), "a sandbox waiting in the python3 pool");

    private async Task<double> MetricAsync(string name, params string[] labels) =>
        MetricsText.Value((await GatewayRest.GetAsync(Gateway, "metrics")).Body, name, labels);
}
