using System.Net;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Quotas;

/// <summary>§7 items 16–18 and 20 against the real gateway: pending starts count, 403 names the limit, slots come back.</summary>
[Collection(QuotasGatewayCollection.Name)]
public sealed class QuotaApiTests(QuotasGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task ConcurrentStarts_AgainstALimitOfTwo_CreateExactlyTwo()
    {
        RestResponse[] answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            GatewayRest.PostAsync(Gateway, "api/kernels", "{}", TestTimeouts.KernelStart)));
        foreach (RestResponse created in answers.Where(a => a.Status == HttpStatusCode.Created))
        {
            DeleteAfterTest(created.Json!["id"]!.GetValue<string>());
        }

        Assert.Equal(2, answers.Count(a => a.Status == HttpStatusCode.Created));
        RestResponse refused = Assert.Single(answers.Where(a => a.Status != HttpStatusCode.Created).Select(a => a).Take(1));
        GatewayRest.ExpectJsonError(refused, HttpStatusCode.Forbidden);
        Assert.Contains("limit of 2 kernels per user", refused.Body, StringComparison.Ordinal);
        Assert.Equal(3, answers.Count(a => a.Status == HttpStatusCode.Forbidden));

        // A DELETE gives the slot back.
        await GatewayRest.DeleteAsync(Gateway, $"api/kernels/{answers.First(a => a.Status == HttpStatusCode.Created).Json!["id"]!.GetValue<string>()}");
        RestResponse again = await GatewayRest.PostAsync(Gateway, "api/kernels", "{}", TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(again, HttpStatusCode.Created, Gateway);
        DeleteAfterTest(again.Json!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task PerUserLimit_AliceAtHerLimitDoesNotStopOthers()
    {
        using HttpClient alice = Gateway.CreateHttpClient(UsersGatewayFixture.AliceToken);
        RestResponse first = await GatewayRest.SendAsync(alice, HttpMethod.Post, Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(first, HttpStatusCode.Created, Gateway);
        string aliceKernel = first.Json!["id"]!.GetValue<string>();
        try
        {
            RestResponse second = await GatewayRest.SendAsync(alice, HttpMethod.Post, Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
            GatewayRest.ExpectJsonError(second, HttpStatusCode.Forbidden);
            Assert.Contains("user 'alice' has 1", second.Json!["message"]!.GetValue<string>(), StringComparison.Ordinal);

            string other = await StartKernelAsync(); // the default user still can
            Assert.False(string.IsNullOrEmpty(other));
        }
        finally
        {
            await GatewayRest.SendAsync(alice, HttpMethod.Delete, Gateway.Url($"api/kernels/{aliceKernel}"));
        }
        RestResponse afterDelete = await GatewayRest.SendAsync(alice, HttpMethod.Post, Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(afterDelete, HttpStatusCode.Created, Gateway);
        await GatewayRest.SendAsync(alice, HttpMethod.Delete, Gateway.Url($"api/kernels/{afterDelete.Json!["id"]!.GetValue<string>()}"));
    }

    [Fact]
    public async Task Sessions_OverTheLimit_Are403AndNoKernelIsStarted()
    {
        RestResponse first = await GatewayRest.PostAsync(Gateway, "api/sessions", """{"path":"q1.ipynb","type":"notebook"}""", TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(first, HttpStatusCode.Created, Gateway);
        string sessionId = first.Json!["id"]!.GetValue<string>();
        try
        {
            int kernelsBefore = ((System.Text.Json.Nodes.JsonArray)(await GatewayRest.GetAsync(Gateway, "api/kernels")).Json!).Count;
            RestResponse second = await GatewayRest.PostAsync(Gateway, "api/sessions", """{"path":"q2.ipynb","type":"notebook"}""", TestTimeouts.KernelStart);

            GatewayRest.ExpectJsonError(second, HttpStatusCode.Forbidden);
            Assert.Contains("1 notebook sessions per user", second.Body, StringComparison.Ordinal);
            Assert.Equal(kernelsBefore, ((System.Text.Json.Nodes.JsonArray)(await GatewayRest.GetAsync(Gateway, "api/kernels")).Json!).Count);
        }
        finally
        {
            await GatewayRest.DeleteAsync(Gateway, $"api/sessions/{sessionId}");
        }
    }
}
