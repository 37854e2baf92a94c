using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Quotas;

/// <summary>Workspace disk quota and kernel-less session retention against the real gateway and sandboxed kernels.</summary>
[Collection(LimitsAndAccessGatewayCollection.Name)]
public sealed class WorkspaceQuotaApiTests(LimitsAndAccessGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private HttpClient ClientOf(string user) => Gateway.CreateHttpClient(LimitsAndAccessGatewayFixture.Tokens[user]);

    [Fact]
    public async Task WorkspaceDisk_OverTheUsersLimit_Is403NamingLimitAndUse_UntilASessionEnds()
    {
        using HttpClient disk = ClientOf("disk");
        RestResponse first = await GatewayRest.SendAsync(disk, HttpMethod.Post, Gateway.Url("api/sessions"), """{"path":"w1.ipynb"}""", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(first, HttpStatusCode.Created, Gateway);
        string firstId = first.Json!["id"]!.GetValue<string>();
        string? secondId = null;
        try
        {
            RestResponse second = await GatewayRest.SendAsync(disk, HttpMethod.Post, Gateway.Url("api/sessions"), """{"path":"w2.ipynb"}""", timeout: TestTimeouts.KernelStart);
            string message = GatewayRest.ExpectJsonError(second, HttpStatusCode.Forbidden, "Forbidden")["message"]!.GetValue<string>();
            Assert.Equal("A limit of 256 MiB of workspace disk per user is set; user 'disk' has 256 MiB reserved by 1 workspaces and this one needs 256 MiB.", message);

            // A kernel of its own (no session) needs a workspace too; the refused starts left no kernel and no session.
            RestResponse kernel = await GatewayRest.SendAsync(disk, HttpMethod.Post, Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
            GatewayRest.ExpectJsonError(kernel, HttpStatusCode.Forbidden, "Forbidden");
            Assert.Single((System.Text.Json.Nodes.JsonArray)(await GatewayRest.SendAsync(disk, HttpMethod.Get, Gateway.Url("api/kernels"))).Json!);
            Assert.Single((System.Text.Json.Nodes.JsonArray)(await GatewayRest.SendAsync(disk, HttpMethod.Get, Gateway.Url("api/sessions"))).Json!);

            GatewayRest.ExpectStatus(await GatewayRest.SendAsync(disk, HttpMethod.Delete, Gateway.Url($"api/sessions/{firstId}")), HttpStatusCode.NoContent, Gateway);
            RestResponse afterDelete = await GatewayRest.SendAsync(disk, HttpMethod.Post, Gateway.Url("api/sessions"), """{"path":"w2.ipynb"}""", timeout: TestTimeouts.KernelStart);
            GatewayRest.ExpectStatus(afterDelete, HttpStatusCode.Created, Gateway);
            secondId = afterDelete.Json!["id"]!.GetValue<string>();
        }
        finally
        {
            await GatewayRest.SendAsync(disk, HttpMethod.Delete, Gateway.Url($"api/sessions/{firstId}"));
            if (secondId is not null)
            {
                await GatewayRest.SendAsync(disk, HttpMethod.Delete, Gateway.Url($"api/sessions/{secondId}"));
            }
        }
    }

    [Fact]
    public async Task WorkspaceDisk_StartAbortedByTheClient_GivesTheReservationBack()
    {
        using HttpClient disk = ClientOf("disk");
        int mark = Gateway.OutputLineCount;
        using (var abort = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            // A sandbox takes about a second to start: the client gives up while it is being created.
            using var request = new HttpRequestMessage(HttpMethod.Post, Gateway.Url("api/kernels")) { Content = new StringContent("{}") };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => disk.SendAsync(request, abort.Token));
        }

        string? sessionId = null;
        try
        {
            // The only workspace disk's quota allows must come back once the start has unwound.
            await GatewayRest.EventuallyAsync(async () =>
            {
                RestResponse created = await GatewayRest.SendAsync(disk, HttpMethod.Post, Gateway.Url("api/sessions"), """{"path":"after-abort.ipynb"}""", timeout: TestTimeouts.KernelStart);
                sessionId = created.Status == HttpStatusCode.Created ? created.Json!["id"]!.GetValue<string>() : null;
                return (sessionId is not null, created.ToString());
            }, TestTimeouts.Step, "a session start after the aborted kernel start");
            // Where the abort lands (workspace image creation, container launch) decides what the log says, so only the
            // effect is asserted: a leaked reservation would refuse the session above with the workspace quota's 403.
            Output.WriteLine(Gateway.OutputSince(mark));
        }
        finally
        {
            if (sessionId is not null)
            {
                await GatewayRest.SendAsync(disk, HttpMethod.Delete, Gateway.Url($"api/sessions/{sessionId}"));
            }
        }
    }

    [Fact]
    public async Task SessionWithoutKernel_IsRemovedWithItsWorkspaceAfterTheRetentionTime()
    {
        using HttpClient reaper = ClientOf("reaper");
        RestResponse created = await GatewayRest.SendAsync(reaper, HttpMethod.Post, Gateway.Url("api/sessions"), """{"path":"kept-a-while.ipynb"}""", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string sessionId = created.Json!["id"]!.GetValue<string>();
        string kernelId = created.Json!["kernel"]!["id"]!.GetValue<string>();
        int mark = Gateway.OutputLineCount;
        string? nextId = null;
        try
        {
            // The session is kernel-less from the moment the DELETE takes the kernel out of the registry, before the
            // container is gone and the 204 sent: the retention clock starts there, so ours starts before the DELETE.
            var clock = Stopwatch.StartNew();
            GatewayRest.ExpectStatus(await GatewayRest.SendAsync(reaper, HttpMethod.Delete, Gateway.Url($"api/kernels/{kernelId}")), HttpStatusCode.NoContent, Gateway);
            GatewayRest.ExpectStatus(await GatewayRest.SendAsync(reaper, HttpMethod.Get, Gateway.Url($"api/sessions/{sessionId}")), HttpStatusCode.OK, Gateway);

            await GatewayRest.EventuallyAsync(async () =>
            {
                RestResponse now = await GatewayRest.SendAsync(reaper, HttpMethod.Get, Gateway.Url($"api/sessions/{sessionId}"));
                return (now.Status == HttpStatusCode.NotFound, now.ToString());
            }, TimeSpan.FromSeconds(LimitsAndAccessGatewayFixture.SessionRetentionSeconds + 15), "the kernel-less session to be removed");

            Output.WriteLine($"session removed {clock.Elapsed.TotalSeconds:0.0} s after its kernel was deleted (retention {LimitsAndAccessGatewayFixture.SessionRetentionSeconds} s, interval 1 s)");
            // The culler ticks every second: removal comes after the retention time, not before.
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(LimitsAndAccessGatewayFixture.SessionRetentionSeconds - 1), $"removed too early: {clock.Elapsed}");
            await GatewayRest.EventuallyAsync(() => Task.FromResult((Gateway.OutputSince(mark).Contains("removed with its workspace", StringComparison.Ordinal), Gateway.OutputSince(mark))),
                TestTimeouts.Reply, "the workspace removal in the gateway's log");
            Assert.Contains($"Removing session `{sessionId}` of `reaper`", Gateway.OutputSince(mark), StringComparison.Ordinal);

            // Its workspace disk came back: reaper's quota holds exactly one workspace.
            RestResponse next = await GatewayRest.SendAsync(reaper, HttpMethod.Post, Gateway.Url("api/sessions"), """{"path":"next.ipynb"}""", timeout: TestTimeouts.KernelStart);
            GatewayRest.ExpectStatus(next, HttpStatusCode.Created, Gateway);
            nextId = next.Json!["id"]!.GetValue<string>();
        }
        finally
        {
            await GatewayRest.SendAsync(reaper, HttpMethod.Delete, Gateway.Url($"api/sessions/{sessionId}"));
            if (nextId is not null)
            {
                await GatewayRest.SendAsync(reaper, HttpMethod.Delete, Gateway.Url($"api/sessions/{nextId}"));
            }
        }
    }
}
