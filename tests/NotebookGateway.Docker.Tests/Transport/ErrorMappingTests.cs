using System.Net;
using Microsoft.AspNetCore.Http;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Tests.Support;

namespace NotebookGateway.Docker.Tests.Transport;

public sealed class ErrorMappingTests
{
    [Fact]
    public async Task InspectAsync_Engine404_ThrowsNotFoundWithEngineMessage()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => FakeEngine.WriteErrorAsync(context, 404, "No such container: nope");
        using var client = engine.CreateClient();

        var error = await Assert.ThrowsAsync<DockerNotFoundException>(() => client.Containers.InspectAsync("nope"));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.True(error.IsNotFound);
        Assert.Equal("No such container: nope", error.EngineMessage);
        Assert.Equal("inspect container nope", error.Operation);
        Assert.Contains("No such container: nope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryInspectAsync_Engine404_ReturnsNull()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => FakeEngine.WriteErrorAsync(context, 404, "No such container: nope");
        using var client = engine.CreateClient();

        Assert.Null(await client.Containers.TryInspectAsync("nope"));
    }

    [Fact]
    public async Task KillAsync_Engine409_ThrowsConflictWithEngineMessage()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => FakeEngine.WriteErrorAsync(context, 409, "Container abc is not running");
        using var client = engine.CreateClient();

        var error = await Assert.ThrowsAsync<DockerConflictException>(() => client.Containers.KillAsync("abc", "SIGTERM"));

        Assert.True(error.IsConflict);
        Assert.Equal("Container abc is not running", error.EngineMessage);
        Assert.EndsWith("/containers/abc/kill?signal=SIGTERM", engine.Requests.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_Engine500_ThrowsApiExceptionWithEngineMessage()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => FakeEngine.WriteErrorAsync(context, 500, "Decoding seccomp profile failed: invalid character '/'");
        using var client = engine.CreateClient();

        var error = await Assert.ThrowsAsync<DockerApiException>(
            () => client.Containers.CreateAsync(new ContainerCreateRequest { Image = "img" }, "box"));

        Assert.IsType<DockerApiException>(error);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal("Decoding seccomp profile failed: invalid character '/'", error.EngineMessage);
        Assert.Equal("create container box", error.Operation);
    }

    [Theory]
    [InlineData("container create: creating container storage: the container name \"box\" is already in use by 54eb96de. You have to remove that container to be able to reuse that name: that name is already in use")]
    [InlineData("can only kill running containers. 84800dff is in state exited: container state improper")]
    public async Task KillAsync_Podman500ForAConflict_ThrowsConflictException(string podmanMessage)
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => FakeEngine.WriteErrorAsync(context, 500, podmanMessage);
        using var client = engine.CreateClient();

        var error = await Assert.ThrowsAsync<DockerConflictException>(() => client.Containers.KillAsync("box", "SIGKILL"));

        Assert.True(error.IsConflict);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal(podmanMessage, error.EngineMessage);
    }

    [Fact]
    public async Task TryInspectAsync_Podman500ForAContainerBeingRemoved_IsNotFound()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => FakeEngine.WriteErrorAsync(context, 500, "container b5a82ef2 does not exist in database: no such container");
        using var client = engine.CreateClient();

        Assert.Null(await client.Containers.TryInspectAsync("b5a82ef2"));
        var error = await Assert.ThrowsAsync<DockerNotFoundException>(() => client.Containers.InspectAsync("b5a82ef2"));
        Assert.True(error.IsNotFound);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
    }

    [Fact]
    public async Task RemoveAsync_EngineNonJsonError_UsesRawBody()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = async context =>
        {
            context.Response.StatusCode = 502;
            await context.Response.WriteAsync("bad gateway from a proxy\n");
        };
        using var client = engine.CreateClient();

        var error = await Assert.ThrowsAsync<DockerApiException>(() => client.Containers.RemoveAsync("abc", force: true));

        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Equal("bad gateway from a proxy", error.EngineMessage);
        Assert.EndsWith("/containers/abc?force=true&v=false", engine.Requests.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_Engine304_ReturnsFalse()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context =>
        {
            context.Response.StatusCode = 304;
            return Task.CompletedTask;
        };
        using var client = engine.CreateClient();

        Assert.False(await client.Containers.StartAsync("abc"));
    }

    [Fact]
    public async Task InspectAsync_EngineNeverAnswers_ThrowsTimeout()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => Task.Delay(Timeout.Infinite, context.RequestAborted);
        // Long enough for the version negotiation on a cold process (JIT, first connection): it shares the timeout.
        using var client = engine.CreateClient(new DockerClientOptions { RequestTimeout = TimeSpan.FromSeconds(2) });
        await client.NegotiateAsync();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.Containers.InspectAsync("abc"));

        Assert.Contains("inspect container abc", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InspectAsync_CallerCancels_ThrowsOperationCanceled()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.Handler = context =>
        {
            arrived.TrySetResult();
            return Task.Delay(Timeout.Infinite, context.RequestAborted);
        };
        using var client = engine.CreateClient();
        using var cts = new CancellationTokenSource();

        var call = client.Containers.InspectAsync("abc", cts.Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }
}
