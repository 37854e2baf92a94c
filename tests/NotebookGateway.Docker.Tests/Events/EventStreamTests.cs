using System.Text;
using Microsoft.AspNetCore.Http;
using NotebookGateway.Docker.Events;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Tests.Support;

namespace NotebookGateway.Docker.Tests.Events;

public sealed class EventStreamTests
{
    private const string DieEvent =
        """{"status":"die","id":"c1","from":"img","Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"exitCode":"137","org.notebookgateway.kernel":"k1"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}""";

    private const string OomEvent =
        """{"Type":"container","Action":"oom","Actor":{"ID":"c1","Attributes":{"name":"box"}},"scope":"local","time":1700000000,"timeNano":1700000000100000000}""";

    [Fact]
    public async Task StreamAsync_LinesSplitAcrossChunks_ParsesEveryEvent()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = async context =>
        {
            context.Response.ContentType = "application/json";
            await FakeEngine.WriteInChunksAsync(context, Encoding.UTF8.GetBytes(OomEvent + "\n\r\n" + DieEvent + "\n"), chunk: 17);
        };
        using var client = engine.CreateClient();

        var events = new List<DockerEvent>();
        await foreach (var item in client.Events.StreamAsync())
        {
            events.Add(item);
        }

        Assert.Equal(["oom", "die"], events.Select(e => e.Action));
        var die = events[1];
        Assert.Equal(DockerEventTypes.Container, die.Type);
        Assert.Equal("c1", die.Actor!.Id);
        Assert.Equal("137", die.Actor.Attributes!["exitCode"]);
        Assert.Equal("local", die.Scope);
        Assert.Equal(1700000000123456789, die.TimeNano);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(1234567), die.Timestamp);
    }

    [Fact]
    public async Task StreamAsync_FiltersAndSince_SentAsQuery()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = _ => Task.CompletedTask;
        using var client = engine.CreateClient();
        var filters = new DockerFilters()
            .Add("type", "container").Add("event", "die").Add("event", "oom").Label("org.notebookgateway.kernel", "k1");
        var since = DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(5);

        await foreach (var _ in client.Events.StreamAsync(new EventsParameters { Filters = filters, Since = since }))
        {
        }

        var request = engine.Requests.Last();
        Assert.StartsWith("GET /v1.41/events?since=1700000000.000000500&filters=", request, StringComparison.Ordinal);
        Assert.Equal(
            """{"event":["die","oom"],"label":["org.notebookgateway.kernel=k1"],"type":["container"]}""",
            Uri.UnescapeDataString(request.Split("filters=")[1]));
    }

    [Fact]
    public async Task StreamAsync_OnPodman_DieFilterAlsoAsksForDied()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.VersionJson = """
            {"Components":[{"Name":"Podman Engine","Version":"4.3.1"}],"Version":"4.3.1","ApiVersion":"1.41","MinAPIVersion":"1.24"}
            """;
        engine.Handler = _ => Task.CompletedTask;
        using var client = engine.CreateClient();
        var filters = new DockerFilters().Add("type", "container").Add("event", "die").Label("org.notebookgateway.owner", "o");

        await foreach (var _ in client.Events.StreamAsync(new EventsParameters { Filters = filters }))
        {
        }

        Assert.True(client.IsPodman);
        Assert.Equal(
            """{"event":["die","died"],"label":["org.notebookgateway.owner=o"],"type":["container"]}""",
            Uri.UnescapeDataString(engine.Requests.Last().Split("filters=")[1]));
        // The caller's filters are left as they were.
        Assert.Equal(["die"], filters.Values["event"]);
    }

    [Fact]
    public async Task StreamAsync_Cancelled_ThrowsAndClosesConnection()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.Handler = async context =>
        {
            context.RequestAborted.Register(() => aborted.TrySetResult());
            await context.Response.WriteAsync(DieEvent + "\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        };
        using var client = engine.CreateClient();
        using var cts = new CancellationTokenSource();

        var enumerator = client.Events.StreamAsync(cancellationToken: cts.Token).GetAsyncEnumerator();
        try
        {
            Assert.True(await enumerator.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("die", enumerator.Current.Action);

            var next = enumerator.MoveNextAsync().AsTask();
            await cts.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            await enumerator.DisposeAsync();
        }

        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task SubscribeAsync_EngineError_ThrowsTypedException()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => FakeEngine.WriteErrorAsync(context, 400, "invalid filter 'bogus'");
        using var client = engine.CreateClient();

        var error = await Assert.ThrowsAsync<DockerApiException>(
            () => client.Events.SubscribeAsync(new EventsParameters { Filters = new DockerFilters().Add("bogus", "x") }));

        Assert.Equal("invalid filter 'bogus'", error.EngineMessage);
    }

    [Fact]
    public async Task ReadAllAsync_SecondEnumeration_Throws()
    {
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.Handler = context => context.Response.WriteAsync(DieEvent + "\n");
        using var client = engine.CreateClient();
        await using var subscription = await client.Events.SubscribeAsync();

        await foreach (var _ in subscription.ReadAllAsync())
        {
        }

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in subscription.ReadAllAsync())
            {
            }
        });
    }
}
