namespace NotebookGateway.Zmq.Tests;

public sealed class ZmqContextTests
{
    [Fact]
    public void LibraryVersion_IsLibzmq4()
    {
        Assert.Equal(4, ZmqContext.LibraryVersion.Major);
    }

    [Fact]
    public async Task DisposeAsync_WithOpenSocketsAndPendingMessages_NeitherHangsNorLeaks()
    {
        using var temp = new Testing.TempDirectory("zmq");
        var context = new ZmqContext(new ZmqContextOptions { TerminateTimeout = TimeSpan.FromSeconds(5) });
        ZmqSocket push = context.CreateSocket(ZmqSocketType.Push, new ZmqSocketOptions { Linger = TimeSpan.FromSeconds(60) });
        ZmqSocket pull = context.CreateSocket(ZmqSocketType.Pull);
        ZmqSocket unconnected = context.CreateSocket(ZmqSocketType.Dealer);
        await pull.BindAsync("ipc://" + temp.Combine("t"));
        await push.ConnectAsync("ipc://" + temp.Combine("t"));
        await unconnected.ConnectAsync("ipc://" + temp.Combine("nobody-there"));
        for (int i = 0; i < 100; i++)
        {
            await push.SendAsync(ZmqMessage.FromStrings("x"));
            await unconnected.SendAsync(ZmqMessage.FromStrings("never delivered"));
        }
        ValueTask<ZmqMessage> waitingReceive = unconnected.ReceiveAsync();

        await context.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await waitingReceive);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => push.SendAsync(ZmqMessage.FromStrings("late")));
        Assert.Throws<ObjectDisposedException>(() => context.CreateSocket(ZmqSocketType.Pub));
        Assert.All(context.Reactors, r => Assert.Equal(0, r.SocketCount));
    }

    [Fact]
    public async Task Reactor_ThousandsOfSockets_AllServedByOneThread()
    {
        const int clients = 2500;
        using var temp = new Testing.TempDirectory("zmq");
        await using var context = new ZmqContext();
        Assert.True(context.MaxSockets >= clients + 1);
        string endpoint = "ipc://" + temp.Combine("hub");
        await using ZmqSocket hub = context.CreateSocket(ZmqSocketType.Router);
        await hub.BindAsync(endpoint);
        var sockets = new List<ZmqSocket>();
        for (int i = 0; i < clients; i++)
        {
            ZmqSocket dealer = context.CreateSocket(ZmqSocketType.Dealer, new ZmqSocketOptions { RoutingId = System.Text.Encoding.ASCII.GetBytes($"c{i}") });
            sockets.Add(dealer);
            await dealer.ConnectAsync(endpoint);
        }
        Assert.Equal(clients + 1, context.Reactor.SocketCount);

        await Task.WhenAll(sockets.Select((s, i) => s.SendAsync(ZmqMessage.FromStrings($"hello {i}"))));
        for (int i = 0; i < clients; i++)
        {
            ZmqMessage request = await hub.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            await hub.SendAsync(new ZmqMessage(request[0], request[1]));
        }
        ZmqMessage[] replies = await Task.WhenAll(sockets.Select(s => s.ReceiveAsync().AsTask())).WaitAsync(TimeSpan.FromSeconds(30));

        for (int i = 0; i < clients; i++)
        {
            Assert.Equal($"hello {i}", System.Text.Encoding.UTF8.GetString(replies[i][0].Span));
        }
        foreach (ZmqSocket socket in sockets)
        {
            await socket.DisposeAsync();
        }
        Assert.Equal(1, context.Reactor.SocketCount);
    }
}
