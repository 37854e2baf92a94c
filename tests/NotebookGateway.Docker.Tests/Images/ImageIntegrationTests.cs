using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Tests.Support;

namespace NotebookGateway.Docker.Tests.Images;

[Collection(DockerEngineCollection.Name)]
public sealed class ImageIntegrationTests(DockerEngineFixture engine)
{
    [Fact]
    public async Task InspectAsync_ImportedTestImage_HasTagAndLabel()
    {
        var image = await engine.Client.Images.InspectAsync(BusyboxImage.Reference, EngineTestScope.Deadline());

        Assert.StartsWith("sha256:", image.Id, StringComparison.Ordinal);
        Assert.True(BusyboxImage.Names(image.RepoTags), string.Join(", ", image.RepoTags ?? []));
        Assert.Equal("busybox", image.Config!.Labels![BusyboxImage.ImageLabel]);
        Assert.Equal(["/bin/sh"], image.Config.Cmd);
        Assert.Equal("linux", image.Os);
    }

    [Fact]
    public async Task ListAsync_ByReferenceAndByLabel_FindsTestImage()
    {
        var ct = EngineTestScope.Deadline();

        var byReference = await engine.Client.Images.ListAsync(new DockerFilters().Add("reference", BusyboxImage.Reference), ct);
        var byLabel = await engine.Client.Images.ListAsync(DockerFilters.ByLabel(BusyboxImage.ImageLabel, "busybox"), ct);
        var none = await engine.Client.Images.ListAsync(new DockerFilters().Add("reference", "notebookgateway-test/no-such-image:*"), ct);

        Assert.Contains(byReference, i => BusyboxImage.Names(i.RepoTags));
        Assert.Contains(byLabel, i => BusyboxImage.Names(i.RepoTags));
        Assert.Empty(none);
    }

    [Fact]
    public async Task InspectAsync_UnknownImage_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<DockerNotFoundException>(
            () => engine.Client.Images.InspectAsync("notebookgateway-test/no-such-image:never", EngineTestScope.Deadline()));

        Assert.Contains("no-such-image", error.EngineMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportAsync_BusyboxTar_ReturnsIdOfTaggedImage()
    {
        var ct = EngineTestScope.Deadline(120);
        const string repository = "notebookgateway-test/busybox-reimport";
        try
        {
            using var first = BusyboxImage.BuildRootfsTar();
            var imported = await engine.Client.Images.ImportAsync(first, repository, "t1", cancellationToken: ct);
            var inspect = await engine.Client.Images.InspectAsync(repository + ":t1", ct);

            Assert.Equal(repository + ":t1", imported.Reference);
            Assert.Equal(inspect.Id, imported.ImageId);
        }
        finally
        {
            await engine.Client.Images.RemoveAsync(repository + ":t1", force: true, ct);
            if (TestEngine.IsPodman && await engine.Client.Images.TryInspectAsync(repository + ":latest", ct) is not null)
            {
                // Podman named the import :latest as well before the client tagged it.
                await engine.Client.Images.RemoveAsync(repository + ":latest", force: true, ct);
            }
        }

        Assert.Null(await engine.Client.Images.TryInspectAsync(repository + ":t1", ct));
    }

    [Fact]
    public async Task ImportAsync_NotATar_ThrowsApiExceptionFromProgressStream()
    {
        var ct = EngineTestScope.Deadline();
        const string repository = "notebookgateway-test/garbage";
        try
        {
            using var garbage = new MemoryStream(Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 251)).ToArray());

            var error = await Assert.ThrowsAnyAsync<DockerApiException>(() => engine.Client.Images.ImportAsync(garbage, repository, cancellationToken: ct));

            Assert.False(string.IsNullOrWhiteSpace(error.EngineMessage));
        }
        finally
        {
            if (await engine.Client.Images.TryInspectAsync(repository + ":latest", ct) is not null)
            {
                await engine.Client.Images.RemoveAsync(repository + ":latest", force: true, ct);
            }
        }
    }
}
