using NotebookGateway.Docker.Events;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Tests.Support;

namespace NotebookGateway.Docker.Tests.Containers;

[Collection(DockerEngineCollection.Name)]
public sealed class MemoryLimitIntegrationTests(DockerEngineFixture engine) : IAsyncLifetime
{
    private readonly EngineTestScope _scope = new(engine);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task StartAsync_AllocationBeyondMemoryLimit_OomKilledAndReportedOnEventStream()
    {
        var ct = EngineTestScope.Deadline(120);
        var client = engine.Client;

        // Subscribe first (and replay from just before) so neither event can slip past.
        var filters = new DockerFilters()
            .Add("type", DockerEventTypes.Container)
            .Add("event", DockerEventActions.Oom)
            .Add("event", DockerEventActions.Die)
            .Label(EngineTestScope.ScopeLabel, _scope.Id);
        await using var events = await client.Events.SubscribeAsync(
            new EventsParameters { Filters = filters, Since = DateTimeOffset.UtcNow.AddSeconds(-1) }, ct);

        // A shell variable holding 100 MB of "y\n" cannot fit in 32 MiB without swap.
        var hostConfig = Sandbox.HardenedHostConfig(memoryBytes: 32 * Sandbox.MiB);
        var request = Sandbox.Hardened(_scope, "x=$(yes | head -c 100000000); echo survived ${#x}", hostConfig);
        var created = await client.Containers.CreateAsync(request, _scope.Name("oom"), ct);
        await client.Containers.StartAsync(created.Id, ct);

        var seen = new List<DockerEvent>();
        await foreach (var item in events.ReadAllAsync(ct))
        {
            Assert.Equal(created.Id, item.Actor?.Id);
            seen.Add(item);
            // Podman 4.3 has no oom event.
            if (seen.Any(e => e.Action == DockerEventActions.Die) && (TestEngine.IsPodman || seen.Any(e => e.Action == DockerEventActions.Oom)))
            {
                break;
            }
        }

        var wait = await client.Containers.WaitAsync(created.Id, cancellationToken: ct);
        var inspect = await client.Containers.InspectAsync(created.Id, ct);
        var logs = await client.Containers.GetLogsAsync(created.Id, cancellationToken: ct);

        // Podman 4.3 with runc on cgroup v1 reports neither an oom event nor OOMKilled: the 137 below is all it says.
        Assert.True(inspect.State!.OomKilled || TestEngine.IsPodman);
        Assert.Equal(137, wait.StatusCode);
        Assert.DoesNotContain("survived", logs.Stdout, StringComparison.Ordinal);
        var die = Assert.Single(seen, e => e.Action == DockerEventActions.Die);
        Assert.Equal("137", die.Actor!.Attributes!["exitCode"]);
        Assert.Equal(_scope.Id, die.Actor.Attributes[EngineTestScope.ScopeLabel]);
    }
}
