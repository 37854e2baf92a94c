using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;

namespace NotebookGateway.Docker.Tests.Support;

/// <summary>
/// One test's objects on the real engine: labels to put on everything it creates, and a teardown that removes
/// them (even after a failure) and then asserts nothing carrying its label is left.
/// </summary>
internal sealed class EngineTestScope : IAsyncDisposable
{
    public const string TestLabel = "org.notebookgateway.test";
    public const string RunLabel = "org.notebookgateway.test.run";
    public const string ScopeLabel = "org.notebookgateway.test.scope";

    public EngineTestScope(DockerEngineFixture engine)
    {
        Client = engine.Client;
        Id = Guid.NewGuid().ToString("N")[..16];
        Labels = new Dictionary<string, string>
        {
            [TestLabel] = "1",
            [RunLabel] = engine.RunId,
            [ScopeLabel] = Id,
        };
    }

    public DockerClient Client { get; }

    public string Id { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public string ScopeFilter => $"{ScopeLabel}={Id}";

    public string Name(string suffix) => $"nbgw-test-{Id}-{suffix}";

    /// <summary>Cancels a test that hangs instead of letting it block the run.</summary>
    public static CancellationToken Deadline(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public async ValueTask DisposeAsync()
    {
        await RemoveLabelledAsync(Client, ScopeFilter);
        var containers = await Client.Containers.ListAsync(new ContainerListParameters { Filters = DockerFilters.ByLabel(ScopeLabel, Id) });
        var volumes = await Client.Volumes.ListAsync(DockerFilters.ByLabel(ScopeLabel, Id));
        Assert.Empty(containers);
        Assert.Empty(volumes);
    }

    /// <summary>Force-removes containers, then volumes, matching <paramref name="labelFilter"/>; returns what it removed.</summary>
    public static async Task<List<string>> RemoveLabelledAsync(DockerClient client, string labelFilter)
    {
        var removed = new List<string>();
        var filters = new DockerFilters().Add("label", labelFilter);
        foreach (var container in await client.Containers.ListAsync(new ContainerListParameters { Filters = filters }))
        {
            try
            {
                await client.Containers.RemoveAsync(container.Id, force: true, removeVolumes: true);
            }
            catch (DockerNotFoundException)
            {
                // Gone meanwhile (AutoRemove): fine.
            }

            removed.Add("container " + container.Id[..12]);
        }

        foreach (var volume in await client.Volumes.ListAsync(filters))
        {
            try
            {
                await client.Volumes.RemoveAsync(volume.Name, force: true);
            }
            catch (DockerNotFoundException)
            {
            }

            removed.Add("volume " + volume.Name);
        }

        return removed;
    }
}
