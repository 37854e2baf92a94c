using NotebookGateway.Bridge.Kernel;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Bridge.Tests.Kernel;

public sealed class RequestRoutesTests
{
    private static Route RouteFor(string id) => new(JupyterMessage.Create("execute_request", "{}"u8.ToArray(), "s", "u"), MessageChannel.Shell);

    [Fact]
    public void Take_ReturnsTheRouteOnce_FindLeavesItInPlace()
    {
        var routes = new RequestRoutes(16);
        Route route = RouteFor("a");
        routes.Add("a", route);

        Assert.Same(route, routes.Find("a"));
        Assert.Same(route, routes.Take("a"));
        Assert.Null(routes.Take("a"));
        Assert.Null(routes.Find(null));
    }

    [Fact]
    public void Add_BeyondTheCapacity_ForgetsTheOldest()
    {
        var routes = new RequestRoutes(16);
        for (int i = 0; i < 100; i++)
        {
            routes.Add($"m{i}", RouteFor($"m{i}"));
        }

        Assert.Equal(16, routes.Count);
        Assert.Equal(84, routes.Evicted);
        Assert.Null(routes.Find("m83"));
        Assert.NotNull(routes.Find("m84"));
    }

    [Fact]
    public void AnsweredRequests_DoNotGrowTheTable()
    {
        var routes = new RequestRoutes(16);
        for (int i = 0; i < 100_000; i++)
        {
            routes.Add($"m{i}", RouteFor("x"));
            routes.Take($"m{i}");
        }

        Assert.Equal(0, routes.Count);
        Assert.Equal(0, routes.Evicted);
        Assert.Empty(routes.TakeAll());
    }
}
