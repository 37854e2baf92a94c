using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Tests.Support;

namespace NotebookGateway.Docker.Tests.Volumes;

[Collection(DockerEngineCollection.Name)]
public sealed class VolumeIntegrationTests(DockerEngineFixture engine) : IAsyncLifetime
{
    private readonly EngineTestScope _scope = new(engine);

    private DockerClient Client => engine.Client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task CreateAsync_TmpfsDriverOptions_InspectAndListReadThemBack()
    {
        var ct = EngineTestScope.Deadline();
        var name = _scope.Name("tmpfs");
        // Podman 4.3 reads size= of a local volume as a project quota, which this host's filesystem lacks; the gateway uses
        // no volumes, so only the options' round trip is tested there.
        var mountOptions = TestEngine.IsPodman ? "nodev,uid=65534" : "size=8m,uid=65534";
        var options = new Dictionary<string, string> { ["type"] = "tmpfs", ["device"] = "tmpfs", ["o"] = mountOptions };

        var created = await Client.Volumes.CreateAsync(new VolumeCreateRequest { Name = name, DriverOpts = options, Labels = _scope.Labels }, ct);
        var inspect = await Client.Volumes.InspectAsync(name, ct);
        var listed = await Client.Volumes.ListAsync(DockerFilters.ByLabel(EngineTestScope.ScopeLabel, _scope.Id), ct);

        Assert.Equal(name, created.Name);
        Assert.Equal("local", inspect.Driver);
        Assert.Equal(mountOptions, inspect.Options!["o"]);
        Assert.Equal("tmpfs", inspect.Options["type"]);
        Assert.Equal(_scope.Id, inspect.Labels![EngineTestScope.ScopeLabel]);
        Assert.Equal(name, Assert.Single(listed).Name);
    }

    [Fact]
    public async Task RemoveAsync_Volume_IsGoneAndSecondRemoveThrowsNotFound()
    {
        var ct = EngineTestScope.Deadline();
        var name = _scope.Name("rm");
        await Client.Volumes.CreateAsync(new VolumeCreateRequest { Name = name, Labels = _scope.Labels }, ct);

        await Client.Volumes.RemoveAsync(name, cancellationToken: ct);

        await Assert.ThrowsAsync<DockerNotFoundException>(() => Client.Volumes.InspectAsync(name, ct));
        var error = await Assert.ThrowsAsync<DockerNotFoundException>(() => Client.Volumes.RemoveAsync(name, cancellationToken: ct));
        Assert.Contains(name, error.EngineMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mounts_VolumeAcrossContainers_KeepsFilesAndBlocksRemovalWhileUsed()
    {
        var ct = EngineTestScope.Deadline();
        var name = _scope.Name("workspace");
        await Client.Volumes.CreateAsync(new VolumeCreateRequest { Name = name, Labels = _scope.Labels }, ct);
        HostConfig WithWorkspace() => Sandbox.HardenedHostConfig() with
        {
            Mounts = [new Mount { Type = MountTypes.Volume, Source = name, Target = "/work" }],
        };
        ContainerCreateRequest AsRoot(string script) => Sandbox.Hardened(_scope, script, WithWorkspace()) with { User = "0:0" };

        var (_, writeExit) = await Sandbox.RunToExitAsync(_scope, AsRoot("echo kept > /work/notes.txt"), "writer", ct);
        var (readerId, readExit) = await Sandbox.RunToExitAsync(_scope, AsRoot("cat /work/notes.txt"), "reader", ct);
        var logs = await Client.Containers.GetLogsAsync(readerId, cancellationToken: ct);
        var inspect = await Client.Containers.InspectAsync(readerId, ct);

        Assert.Equal(0, writeExit);
        Assert.Equal(0, readExit);
        Assert.Equal("kept\n", logs.Stdout);
        var mount = Assert.Single(inspect.Mounts!, m => m.Destination == "/work");
        Assert.Equal("volume", mount.Type);
        Assert.Equal(name, mount.Name);
        var error = await Assert.ThrowsAsync<DockerConflictException>(() => Client.Volumes.RemoveAsync(name, cancellationToken: ct));
        Assert.Contains(TestEngine.IsPodman ? "being used" : "in use", error.EngineMessage, StringComparison.Ordinal);
    }
}
