using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Security;

/// <summary>
/// Issue 5 §1, catalogue W2/W3: identity comes only from the token, and another user's kernel or session does not
/// exist for you (404 on every route, websocket included). §7 item 15: lists show only your own.
/// </summary>
[Collection(UsersGatewayCollection.Name)]
public sealed class UserIsolationTests(UsersGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private HttpClient Client(string token) => Gateway.CreateHttpClient(token);

    private Task<RestResponse> SendAsync(string token, HttpMethod method, string relative, string? body = null) =>
        GatewayRest.SendAsync(Client(token), method, Gateway.Url(relative), body, timeout: TestTimeouts.KernelStart);

    [Fact]
    public async Task AnotherUsersKernel_Is404OnEveryRouteAndInvisibleInLists()
    {
        RestResponse created = await SendAsync(UsersGatewayFixture.AliceToken, HttpMethod.Post, "api/kernels", "{}");
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string id = created.Json!["id"]!.GetValue<string>();
        try
        {
            foreach ((HttpMethod method, string path) in new[]
            {
                (HttpMethod.Get, $"api/kernels/{id}"),
                (HttpMethod.Post, $"api/kernels/{id}/interrupt"),
                (HttpMethod.Post, $"api/kernels/{id}/restart"),
                (HttpMethod.Delete, $"api/kernels/{id}"),
            })
            {
                RestResponse answer = await SendAsync(UsersGatewayFixture.BobToken, method, path);
                GatewayRest.ExpectJsonError(answer, HttpStatusCode.NotFound);
            }
            var (status, socket, _) = await KernelSocket.TryConnectAsync(Gateway.ChannelsUri(id, "bob", queryToken: null), "bob", UsersGatewayFixture.BobToken);
            Assert.Null(socket);
            Assert.Equal(HttpStatusCode.NotFound, status);

            JsonArray bobs = (JsonArray)(await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Get, "api/kernels")).Json!;
            JsonArray alices = (JsonArray)(await SendAsync(UsersGatewayFixture.AliceToken, HttpMethod.Get, "api/kernels")).Json!;
            Assert.DoesNotContain(bobs, k => k!["id"]!.GetValue<string>() == id);
            Assert.Contains(alices, k => k!["id"]!.GetValue<string>() == id);
            // Still alive for its owner after all of bob's attempts.
            GatewayRest.ExpectStatus(await SendAsync(UsersGatewayFixture.AliceToken, HttpMethod.Get, $"api/kernels/{id}"), HttpStatusCode.OK, Gateway);
        }
        finally
        {
            await SendAsync(UsersGatewayFixture.AliceToken, HttpMethod.Delete, $"api/kernels/{id}");
        }
    }

    [Fact]
    public async Task AnotherUsersSession_Is404AndTheSamePathGivesEachUserTheirOwn()
    {
        const string body = """{"path":"shared-name.ipynb","type":"notebook","kernel":{"name":"python3"}}""";
        RestResponse alice = await SendAsync(UsersGatewayFixture.AliceToken, HttpMethod.Post, "api/sessions", body);
        RestResponse bob = await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Post, "api/sessions", body);
        GatewayRest.ExpectStatus(alice, HttpStatusCode.Created, Gateway);
        GatewayRest.ExpectStatus(bob, HttpStatusCode.Created, Gateway);
        string aliceSession = alice.Json!["id"]!.GetValue<string>();
        string bobSession = bob.Json!["id"]!.GetValue<string>();
        try
        {
            Assert.NotEqual(aliceSession, bobSession);
            Assert.NotEqual(alice.Json["kernel"]!["id"]!.GetValue<string>(), bob.Json["kernel"]!["id"]!.GetValue<string>());
            GatewayRest.ExpectJsonError(await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Get, $"api/sessions/{aliceSession}"), HttpStatusCode.NotFound);
            GatewayRest.ExpectJsonError(await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Patch, $"api/sessions/{aliceSession}", """{"path":"stolen.ipynb"}"""), HttpStatusCode.NotFound);
            GatewayRest.ExpectJsonError(await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Delete, $"api/sessions/{aliceSession}"), HttpStatusCode.NotFound);
            JsonArray bobsSessions = (JsonArray)(await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Get, "api/sessions")).Json!;
            Assert.Equal([bobSession], bobsSessions.Select(s => s!["id"]!.GetValue<string>()));
        }
        finally
        {
            await SendAsync(UsersGatewayFixture.AliceToken, HttpMethod.Delete, $"api/sessions/{aliceSession}");
            await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Delete, $"api/sessions/{bobSession}");
        }
    }

    [Fact]
    public async Task KernelUsernameClaim_DoesNotChangeWhoOwnsTheKernel()
    {
        RestResponse created = await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Post, "api/kernels", """{"env":{"KERNEL_USERNAME":"alice"}}""");
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string id = created.Json!["id"]!.GetValue<string>();
        try
        {
            GatewayRest.ExpectJsonError(await SendAsync(UsersGatewayFixture.AliceToken, HttpMethod.Get, $"api/kernels/{id}"), HttpStatusCode.NotFound);
            GatewayRest.ExpectStatus(await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Get, $"api/kernels/{id}"), HttpStatusCode.OK, Gateway);
        }
        finally
        {
            await SendAsync(UsersGatewayFixture.BobToken, HttpMethod.Delete, $"api/kernels/{id}");
        }
    }

    [Fact]
    public async Task TokenCommand_PrintsATokenAndItsHash()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = RepositoryPaths.Root };
        start.ArgumentList.Add(RepositoryPaths.GatewayDll);
        start.ArgumentList.Add("token");
        using Process process = Process.Start(start)!;
        string printed = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Step);

        string[] lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string token = lines.Single(l => l.StartsWith("token:", StringComparison.Ordinal)).Split(':')[1].Trim();
        string hash = lines.Single(l => l.StartsWith("TokenSha256:", StringComparison.Ordinal)).Split(':')[1].Trim();
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token))), hash);
    }
}
