using System.Net;
using System.Text.Json.Nodes;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Kernels.Sandbox;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Api;

/// <summary>§7 items 3–8 and 14: the kernels resource.</summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class KernelsApiTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Post_with_an_empty_object_returns_201_location_and_a_fresh_kernel_model()
    {
        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/kernels", "{}", TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(response, HttpStatusCode.Created, Gateway);
        JsonObject model = KernelModel.Check(response.Json);
        string id = model["id"]!.GetValue<string>();
        DeleteAfterTest(id);

        Assert.Equal("application/json", response.ContentType);
        Assert.Equal(0, KernelModel.Connections(model));
        string? location = response.Header("Location");
        Assert.True(location is not null, $"no Location header: {response}");
        Assert.Equal(Gateway.Url($"api/kernels/{id}").AbsolutePath, new Uri(Gateway.BaseUri, location).AbsolutePath);
    }

    [Fact]
    public async Task Post_with_an_empty_body_starts_the_default_kernel()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Gateway.Url("api/kernels"));
        RestResponse response = await GatewayRest.SendAsync(Gateway.Http, request, TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(response, HttpStatusCode.Created, Gateway);
        JsonObject model = KernelModel.Check(response.Json);
        DeleteAfterTest(model["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_with_an_unknown_kernelspec_is_a_json_404_without_traceback()
    {
        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/kernels", """{"name":"no-such-spec"}""");
        GatewayRest.ExpectJsonError(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"name":"python3" """)]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("""{"env":"x"}""")]
    [InlineData("""{"env":["A=1"]}""")]
    [InlineData("""{"env":42}""")]
    [InlineData("""{"name":5}""")]
    public async Task Post_with_malformed_json_or_a_non_object_env_is_a_json_400(string body)
    {
        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/kernels", body);
        if (response.Status == HttpStatusCode.Created && response.Json?["id"]?.GetValue<string>() is { } id)
        {
            DeleteAfterTest(id);
        }
        GatewayRest.ExpectJsonError(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Get_returns_the_model_and_an_unknown_id_is_a_json_404_naming_it()
    {
        string id = await StartKernelAsync();
        RestResponse response = await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}");
        GatewayRest.ExpectStatus(response, HttpStatusCode.OK, Gateway);
        KernelModel.Check(response.Json, id);

        string unknown = Guid.NewGuid().ToString();
        RestResponse missing = await GatewayRest.GetAsync(Gateway, $"api/kernels/{unknown}");
        JsonObject error = GatewayRest.ExpectJsonError(missing, HttpStatusCode.NotFound);
        Assert.Contains(unknown, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_returns_204_then_404_and_the_container_is_removed()
    {
        string id = await StartKernelAsync();
        await using DockerClient docker = await DockerClient.ConnectAsync();
        Assert.NotEmpty(await ContainersOfAsync(docker, id));

        RestResponse deleted = await GatewayRest.DeleteAsync(Gateway, $"api/kernels/{id}");
        GatewayRest.ExpectStatus(deleted, HttpStatusCode.NoContent, Gateway);
        GatewayRest.ExpectJsonError(await GatewayRest.DeleteAsync(Gateway, $"api/kernels/{id}"), HttpStatusCode.NotFound);
        GatewayRest.ExpectJsonError(await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}"), HttpStatusCode.NotFound);

        // gateway.json's ShutdownGraceSeconds is 5; allow for the engine's removal on a loaded machine.
        await GatewayRest.EventuallyAsync(async () =>
        {
            var left = await ContainersOfAsync(docker, id);
            return (left.Count == 0, string.Join(", ", left.Select(c => $"{c.Id[..12]} {c.State}")));
        }, TestTimeouts.Reply, $"containers of kernel {id} removed after DELETE");
    }

    [Theory]
    [InlineData("POST", "interrupt")]
    [InlineData("POST", "restart")]
    [InlineData("DELETE", "")]
    public async Task Actions_on_an_unknown_kernel_are_a_json_404(string method, string action)
    {
        string path = $"api/kernels/{Guid.NewGuid()}" + (action.Length > 0 ? "/" + action : "");
        RestResponse response = await GatewayRest.SendAsync(Gateway.Http, new HttpMethod(method), Gateway.Url(path));
        GatewayRest.ExpectJsonError(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Interrupt_returns_204_and_a_sleeping_cell_ends_with_KeyboardInterrupt()
    {
        string id = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(id);
        Task<RestResponse>? interrupt = null;
        ExecuteResult result = await socket.ExecuteAsync("import time\nprint('sleeping', flush=True)\ntime.sleep(30)", TestTimeouts.Step, onIOPub: frame =>
        {
            // Its output: the cell is in user code now (a SIGINT just after execute_input can be swallowed by IPython).
            if (frame.MsgType == "stream" && interrupt is null)
            {
                interrupt = GatewayRest.PostAsync(Gateway, $"api/kernels/{id}/interrupt", null);
            }
            return Task.CompletedTask;
        });
        Assert.True(interrupt is not null, $"no output, so no interrupt was sent:\n{result}");
        GatewayRest.ExpectStatus(await interrupt!, HttpStatusCode.NoContent, Gateway);
        Assert.True(result.Status == "error", $"execute_reply should be an error:\n{result}");
        Assert.Equal("KeyboardInterrupt", result.Reply.ContentText("ename"));
        Assert.Equal("KeyboardInterrupt", result.ErrorName);
    }

    [Fact]
    public async Task Restart_returns_200_once_the_new_kernel_answers_and_variables_are_gone()
    {
        string id = await StartKernelAsync();
        KernelSocket before = await ConnectAsync(id);
        Assert.Equal("ok", (await before.ExecuteAsync("defined_before_restart = 42")).Status);

        RestResponse restart = await GatewayRest.PostAsync(Gateway, $"api/kernels/{id}/restart", null, TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(restart, HttpStatusCode.OK, Gateway);
        KernelModel.Check(restart.Json, id);

        // 200 means the new kernel already answered kernel_info: a fresh connection gets its reply at once.
        KernelSocket after = await ConnectAsync(id, ready: false);
        await after.KernelInfoAsync(TestTimeouts.Reply);
        ExecuteResult result = await after.ExecuteAsync("defined_before_restart");
        Assert.True(result.Status == "error", $"the variable survived the restart:\n{result}");
        Assert.Equal("NameError", result.Reply.ContentText("ename"));
    }

    [Fact]
    public async Task The_token_never_reaches_the_kernel_environment()
    {
        string id = await Fixture.SharedKernelAsync();
        KernelSocket socket = await ConnectAsync(id);
        ExecuteResult result = await socket.ExecuteAsync("import os\nprint('\\n'.join(f'{k}={v}' for k, v in sorted(os.environ.items())))");
        Assert.Equal("ok", result.Status);
        Assert.Contains("PATH=", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Gateway.Token, result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("NBGW_", result.Stdout, StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<ContainerSummary>> ContainersOfAsync(DockerClient docker, string kernelId)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Reply);
        return await docker.Containers.ListAsync(new ContainerListParameters
        {
            All = true,
            Filters = new DockerFilters().Label(SandboxLabels.Owner, Gateway.Owner).Label(SandboxLabels.Kernel, kernelId),
        }, timeout.Token);
    }
}
