using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Api;

/// <summary>
/// §7 items 21–23 and issue 4 §2–3: what of the client's environment reaches a kernel, workspaces named with
/// KERNEL_WORKSPACE or owned by a session, and tokens kept out of the gateway's logs.
/// </summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class KernelEnvironmentAndWorkspaceTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Post_ClientEnvironment_OnlyKernelPrefixedNamesReachTheKernel()
    {
        string id = await PostKernelAsync("""{"env":{"KERNEL_COLOUR":"teal","SECRET":"do-not-pass","PATH":"/evil","KERNEL_USERNAME":"mallory"}}""");

        string environment = (await (await ConnectAsync(id)).ExecuteAsync("import os\nprint(sorted(os.environ.items()))")).Stdout;

        Assert.Contains("('KERNEL_COLOUR', 'teal')", environment, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-pass", environment, StringComparison.Ordinal);
        Assert.DoesNotContain("/evil", environment, StringComparison.Ordinal);
        Assert.DoesNotContain("DOTNET_", environment, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a$b")]
    [InlineData("a`b`")]
    [InlineData("line\nbreak")]
    public async Task Post_ForbiddenCharacterInAValue_Is400NamingTheKeyButNotTheValue(string value)
    {
        var body = new JsonObject { ["env"] = new JsonObject { ["KERNEL_BAD"] = value } };

        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/kernels", body.ToJsonString());

        GatewayRest.ExpectJsonError(response, HttpStatusCode.BadRequest);
        Assert.Contains("KERNEL_BAD", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(value.Replace("\n", "\\n", StringComparison.Ordinal), response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KernelWorkspace_SameNameSharesFilesAndAnotherNameDoesNot()
    {
        string name = "proj-" + Guid.NewGuid().ToString("N")[..8];
        string first = await PostKernelAsync($$$"""{"env":{"KERNEL_WORKSPACE":"{{{name}}}"}}""");
        string second = await PostKernelAsync($$$"""{"env":{"KERNEL_WORKSPACE":"{{{name}}}"}}""");
        string other = await PostKernelAsync("""{"env":{"KERNEL_WORKSPACE":"someone-else"}}""");

        await (await ConnectAsync(first)).ExecuteAsync("open('shared.txt', 'w').write('from the first kernel')");

        Assert.Equal("from the first kernel\n", (await (await ConnectAsync(second)).ExecuteAsync("print(open('shared.txt').read())")).Stdout);
        Assert.Equal("False\n", (await (await ConnectAsync(other)).ExecuteAsync("import os\nprint(os.path.exists('shared.txt'))")).Stdout);
    }

    [Fact]
    public async Task Post_InvalidWorkspaceName_Is400()
    {
        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/kernels", """{"env":{"KERNEL_WORKSPACE":"../../etc"}}""");

        GatewayRest.ExpectJsonError(response, HttpStatusCode.BadRequest);
        Assert.Contains("KERNEL_WORKSPACE", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_FilesSurviveAKernelRestart()
    {
        RestResponse created = await GatewayRest.PostAsync(Gateway, "api/sessions",
            $$$"""{"path":"restart-{{{Guid.NewGuid():N}}}.ipynb","type":"notebook","kernel":{"name":"python3"}}""", TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string sessionId = created.Json!["id"]!.GetValue<string>();
        string kernelId = created.Json["kernel"]!["id"]!.GetValue<string>();
        try
        {
            await (await ConnectAsync(kernelId)).ExecuteAsync("open('notes.txt', 'w').write('kept')");

            GatewayRest.ExpectStatus(await GatewayRest.PostAsync(Gateway, $"api/kernels/{kernelId}/restart", null, TestTimeouts.KernelStart), HttpStatusCode.OK, Gateway);

            ExecuteResult after = await (await ConnectAsync(kernelId)).ExecuteAsync("import os\nprint(open('notes.txt').read(), os.getcwd())");
            Assert.StartsWith("kept /home/sandbox/work", after.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await GatewayRest.DeleteAsync(Gateway, $"api/sessions/{sessionId}");
        }
    }

    [Fact]
    public async Task Logs_RequestsWithTheTokenInTheQuery_NeverPrintTheToken()
    {
        int mark = Gateway.OutputLineCount;
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        await anonymous.GetAsync(Gateway.Url($"api/kernels?token={Gateway.Token}"));
        await anonymous.GetAsync(Gateway.Url($"api/nope?token={Gateway.Token}"));
        await anonymous.GetAsync(Gateway.Url("api?token=wrong-" + Gateway.Token));
        string id = await Fixture.SharedKernelAsync();
        await using (KernelSocket socket = await KernelSocket.ConnectAsync(Gateway.ChannelsUri(id, "log-check", Gateway.Token), "log-check", headerToken: null))
        {
            await socket.KernelInfoAsync();
        }

        Assert.DoesNotContain(Gateway.Token, Gateway.OutputSince(mark), StringComparison.Ordinal);
    }

    private async Task<string> PostKernelAsync(string body)
    {
        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/kernels", body, TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(response, HttpStatusCode.Created, Gateway);
        string id = response.Json!["id"]!.GetValue<string>();
        DeleteAfterTest(id);
        return id;
    }
}
