using NotebookGateway.Docker.Events;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Tests.Support;

namespace NotebookGateway.Docker.Tests.Events;

[Collection(DockerEngineCollection.Name)]
public sealed class EventIntegrationTests(DockerEngineFixture engine) : IAsyncLifetime
{
    private readonly EngineTestScope _scope = new(engine);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task StreamAsync_ContainerRuns_StartThenDieWithExitCode()
    {
        var ct = EngineTestScope.Deadline();
        var filters = new DockerFilters()
            .Add("type", DockerEventTypes.Container)
            .Add("event", DockerEventActions.Start)
            .Add("event", DockerEventActions.Die)
            .Label(EngineTestScope.ScopeLabel, _scope.Id);
        await using var events = await engine.Client.Events.SubscribeAsync(new EventsParameters { Filters = filters }, ct);

        var (id, _) = await Sandbox.RunToExitAsync(_scope, Sandbox.Hardened(_scope, "exit 7"), "events", ct);

        var seen = new List<DockerEvent>();
        await foreach (var item in events.ReadAllAsync(ct))
        {
            seen.Add(item);
            if (item.Action == DockerEventActions.Die)
            {
                break;
            }
        }

        Assert.Equal([DockerEventActions.Start, DockerEventActions.Die], seen.Select(e => e.Action));
        Assert.All(seen, e => Assert.Equal(id, e.Actor!.Id));
        Assert.Equal("7", seen[1].Actor!.Attributes!["exitCode"]);
        Assert.Equal(_scope.Name("events"), seen[1].Actor!.Attributes!["name"]);
        Assert.True(seen[1].Timestamp >= seen[0].Timestamp);
        Assert.True(seen[1].Timestamp > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task StreamAsync_SinceAndUntil_ReplaysPastEventAndEnds()
    {
        var ct = EngineTestScope.Deadline();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var (id, _) = await Sandbox.RunToExitAsync(_scope, Sandbox.Hardened(_scope, "true"), "replay", ct);

        // Wait for the die event live, then ask for a bounded replay that must end by itself.
        var live = new EventsParameters { Filters = DockerFilters.ByLabel(EngineTestScope.ScopeLabel, _scope.Id).Add("event", "die"), Since = before };
        DockerEvent? die = null;
        await foreach (var item in engine.Client.Events.StreamAsync(live, ct))
        {
            die = item;
            break;
        }

        Assert.Equal(id, die!.Actor!.Id);
        if (TestEngine.IsPodman)
        {
            // Podman 4.3 answers a replay bounded by until with no events at all; the gateway replays with since only.
            return;
        }

        var replay = live with { Until = die.Timestamp.AddSeconds(1) };
        var replayed = new List<DockerEvent>();
        await foreach (var item in engine.Client.Events.StreamAsync(replay, ct))
        {
            replayed.Add(item);
        }

        Assert.Equal(id, Assert.Single(replayed).Actor!.Id);
    }
}
