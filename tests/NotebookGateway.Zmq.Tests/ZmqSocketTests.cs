using System.Collections.Concurrent;
using NotebookGateway.Testing;

namespace NotebookGateway.Zmq.Tests;

public sealed class ZmqSocketTests : ZmqTestBase
{
    [Fact]
    public async Task SendAsync_RouterDealerOverIpc_DeliversMultipartWithRoutingId()
    {
        await using ZmqSocket router = Context.CreateSocket(ZmqSocketType.Router);
        await using ZmqSocket dealer = Context.CreateSocket(ZmqSocketType.Dealer, new ZmqSocketOptions { RoutingId = Bytes("client-1") });
        string endpoint = Ipc("rd");
        await router.BindAsync(endpoint);
        await dealer.ConnectAsync(endpoint);

        await Within(dealer.SendAsync(ZmqMessage.FromStrings("a", "", "ccc")));
        ZmqMessage received = await Within(router.ReceiveAsync());

        Assert.Equal(["client-1", "a", "", "ccc"], received.Frames.Select(Text));
        await Within(router.SendAsync(new ZmqMessage(received[0], Bytes("reply"))));
        ZmqMessage reply = await Within(dealer.ReceiveAsync());
        Assert.Equal("reply", Text(reply[0]));
    }

    [Fact]
    public async Task BindAsync_TcpWildcardPort_ReturnsResolvedEndpoint()
    {
        await using ZmqSocket rep = Context.CreateSocket(ZmqSocketType.Rep);
        await using ZmqSocket req = Context.CreateSocket(ZmqSocketType.Req);

        string endpoint = await rep.BindAsync("tcp://127.0.0.1:*");
        await req.ConnectAsync(endpoint);
        await Within(req.SendAsync(ZmqMessage.FromStrings("ping")));
        ZmqMessage ping = await Within(rep.ReceiveAsync());
        await Within(rep.SendAsync(ping));
        ZmqMessage pong = await Within(req.ReceiveAsync());

        Assert.Matches(@"^tcp://127\.0\.0\.1:\d+$", endpoint);
        Assert.Equal("ping", Text(pong[0]));
    }

    [Fact]
    public async Task BindAsync_PortInUse_ThrowsTypedError()
    {
        await using ZmqSocket first = Context.CreateSocket(ZmqSocketType.Router);
        await using ZmqSocket second = Context.CreateSocket(ZmqSocketType.Router);
        string endpoint = await first.BindAsync("tcp://127.0.0.1:*");

        var error = await Assert.ThrowsAsync<ZmqException>(() => second.BindAsync(endpoint));

        Assert.Equal(ZmqError.AddressInUse, error.Error);
        Assert.Contains("zmq_bind", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_UnknownTransport_ThrowsTypedError()
    {
        await using ZmqSocket dealer = Context.CreateSocket(ZmqSocketType.Dealer);

        var error = await Assert.ThrowsAsync<ZmqException>(() => dealer.ConnectAsync("nope://somewhere"));

        Assert.Equal(ZmqError.ProtocolNotSupported, error.Error);
    }

    [Fact]
    public async Task ReceiveAsync_Completes_OffTheReactorThread()
    {
        await using ZmqSocket pull = Context.CreateSocket(ZmqSocketType.Pull);
        await using ZmqSocket push = Context.CreateSocket(ZmqSocketType.Push);
        await pull.BindAsync(Ipc("thread"));
        await push.ConnectAsync(Ipc("thread"));

        ValueTask<ZmqMessage> pending = pull.ReceiveAsync();
        await push.SendAsync(ZmqMessage.FromStrings("x"));
        await Within(pending);

        Assert.DoesNotContain("zmq-reactor", Thread.CurrentThread.Name ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task PubSub_SubscriptionPrefix_FiltersTopics()
    {
        await using ZmqSocket pub = Context.CreateSocket(ZmqSocketType.Pub);
        await using ZmqSocket sub = Context.CreateSocket(ZmqSocketType.Sub, new ZmqSocketOptions { Subscriptions = [Bytes("keep")] });
        await pub.BindAsync(Ipc("ps"));
        await sub.ConnectAsync(Ipc("ps"));

        // A PUB drops messages until the subscription has travelled: publish until one arrives.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ValueTask<ZmqMessage> first = sub.ReceiveAsync(cts.Token);
        while (!first.IsCompleted)
        {
            await pub.SendAsync(ZmqMessage.FromStrings("drop", "1"));
            await pub.SendAsync(ZmqMessage.FromStrings("keep", "2"));
            await Task.WhenAny(first.AsTask(), Task.Delay(20, cts.Token));
        }
        ZmqMessage message = await first;

        Assert.Equal("keep", Text(message[0]));
        Assert.Equal("2", Text(message[1]));
    }

    [Fact]
    public async Task SendAsync_ConcurrentSendersOnManyThreads_NeverInterleaveFrames()
    {
        const int threads = 16;
        const int perThread = 500;
        await using ZmqSocket router = Context.CreateSocket(ZmqSocketType.Router);
        await using ZmqSocket dealer = Context.CreateSocket(ZmqSocketType.Dealer);
        await router.BindAsync(Ipc("many"));
        await dealer.ConnectAsync(Ipc("many"));

        Task[] senders = Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
        {
            for (int i = 0; i < perThread; i++)
            {
                string id = $"{t}:{i}";
                await dealer.SendAsync(ZmqMessage.FromStrings(id, id + "/b", id + "/c"));
            }
        })).ToArray();

        var seen = new HashSet<string>();
        for (int n = 0; n < threads * perThread; n++)
        {
            ZmqMessage message = await Within(router.ReceiveAsync());
            Assert.Equal(4, message.Count);
            string id = Text(message[1]);
            Assert.Equal(id + "/b", Text(message[2]));
            Assert.Equal(id + "/c", Text(message[3]));
            Assert.True(seen.Add(id), $"duplicate {id}");
        }
        await Within(Task.WhenAll(senders));
        Assert.Equal(threads * perThread, seen.Count);
    }

    [Fact]
    public async Task ReceiveAsync_Cancelled_DoesNotLoseMessages()
    {
        await using ZmqSocket pull = Context.CreateSocket(ZmqSocketType.Pull);
        await using ZmqSocket push = Context.CreateSocket(ZmqSocketType.Push);
        await pull.BindAsync(Ipc("cancel"));
        await push.ConnectAsync(Ipc("cancel"));

        for (int i = 0; i < 50; i++)
        {
            using var cts = new CancellationTokenSource();
            ValueTask<ZmqMessage> waiting = pull.ReceiveAsync(cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
        }
        for (int i = 0; i < 10; i++)
        {
            await push.SendAsync(ZmqMessage.FromStrings(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        for (int i = 0; i < 10; i++)
        {
            ZmqMessage message = await Within(pull.ReceiveAsync());
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Text(message[0]));
        }
        Assert.Equal(0, pull.PendingReceiveCount);
    }

    [Fact]
    public async Task SendAsync_CancelledWhileBlockedByHighWaterMark_IsNeverSent()
    {
        await using ZmqSocket push = Context.CreateSocket(ZmqSocketType.Push, new ZmqSocketOptions { SendHighWaterMark = 1, Immediate = true });
        string endpoint = Ipc("hwm");
        await push.ConnectAsync(endpoint);

        // No peer yet and IMMEDIATE set: nothing can be queued, so the send waits for POLLOUT.
        using var cts = new CancellationTokenSource();
        Task blocked = push.SendAsync(ZmqMessage.FromStrings("cancelled"), cts.Token);
        Assert.False(blocked.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within(blocked));

        await using ZmqSocket pull = Context.CreateSocket(ZmqSocketType.Pull);
        await pull.BindAsync(endpoint);
        await Within(push.SendAsync(ZmqMessage.FromStrings("delivered")));
        ZmqMessage first = await Within(pull.ReceiveAsync());

        Assert.Equal("delivered", Text(first[0]));
    }

    [Fact]
    public async Task ReceiveQueue_FullQueue_PausesAndResumesWithoutLoss()
    {
        await using ZmqSocket pull = Context.CreateSocket(ZmqSocketType.Pull, new ZmqSocketOptions { ReceiveQueueCapacity = 4 });
        await using ZmqSocket push = Context.CreateSocket(ZmqSocketType.Push);
        await pull.BindAsync(Ipc("bp"));
        await push.ConnectAsync(Ipc("bp"));

        for (int i = 0; i < 200; i++)
        {
            await push.SendAsync(ZmqMessage.FromStrings(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        for (int i = 0; i < 200; i++)
        {
            ZmqMessage message = await Within(pull.ReceiveAsync());
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Text(message[0]));
        }
        Assert.True(pull.PendingReceiveCount <= 4);
    }

    [Fact]
    public async Task ReceiveQueue_ByteBound_HoldsAtMostTheBoundAndLosesNothing()
    {
        const int Size = 256 * 1024;
        await using ZmqSocket pull = Context.CreateSocket(ZmqSocketType.Pull, new ZmqSocketOptions { ReceiveQueueBytes = 1 << 20 });
        await using ZmqSocket push = Context.CreateSocket(ZmqSocketType.Push);
        await pull.BindAsync(Ipc("bytes"));
        await push.ConnectAsync(Ipc("bytes"));

        // Nobody reads. libzmq takes all 40 (10 MiB, within its high-water marks); the queue, whose count bound is 4096,
        // takes only what its byte bound allows, and the rest waits in libzmq.
        var sends = Enumerable.Range(0, 40).Select(_ => push.SendAsync(new ZmqMessage(new byte[Size]))).ToList();
        await Within(Task.WhenAll(sends));
        DateTime deadline = DateTime.UtcNow + TestTimeouts.Short;
        while (pull.PendingReceiveCount < 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10); // polls the queue's fill level; nothing signals it
        }
        Assert.Equal(4, pull.PendingReceiveCount);
        Assert.Equal(1 << 20, pull.PendingReceiveBytes);

        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(Size, (await Within(pull.ReceiveAsync())).TotalBytes);
        }
        Assert.Equal(0, pull.PendingReceiveBytes);
    }

    [Fact]
    public async Task MaxMessageSize_OversizeMessageFromPeer_IsNotDelivered()
    {
        await using ZmqSocket pull = Context.CreateSocket(ZmqSocketType.Pull, new ZmqSocketOptions { MaxMessageSize = 1024 });
        await using ZmqSocket push = Context.CreateSocket(ZmqSocketType.Push);
        await pull.BindAsync(Ipc("max"));
        await push.ConnectAsync(Ipc("max"));

        await push.SendAsync(new ZmqMessage(new byte[4096]));
        // libzmq drops the connection; a reconnecting peer's small message still arrives, and the big one never did.
        ZmqMessage received = await ReceiveFirstSmallAsync(push, pull);

        Assert.Equal("small", Text(received[0]));
        Assert.Equal(1024, await pull.GetOptionAsync(ZmqOption.MaxMessageSize));
    }

    private static async Task<ZmqMessage> ReceiveFirstSmallAsync(ZmqSocket push, ZmqSocket pull)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ValueTask<ZmqMessage> next = pull.ReceiveAsync(cts.Token);
        while (!next.IsCompleted)
        {
            await push.SendAsync(ZmqMessage.FromStrings("small"), cts.Token);
            await Task.WhenAny(next.AsTask(), Task.Delay(50, cts.Token));
        }
        return await next;
    }

    [Fact]
    public async Task Peer_VanishesMidStream_ReconnectsToNewPeerOnSameEndpoint()
    {
        string endpoint = Ipc("vanish");
        await using ZmqSocket dealer = Context.CreateSocket(ZmqSocketType.Dealer, new ZmqSocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(20) });
        await dealer.ConnectAsync(endpoint);

        var peerContext = new ZmqContext();
        ZmqSocket peer = peerContext.CreateSocket(ZmqSocketType.Router);
        await peer.BindAsync(endpoint);
        await dealer.SendAsync(ZmqMessage.FromStrings("one"));
        Assert.Equal("one", Text((await Within(peer.ReceiveAsync()))[1]));
        // The peer disappears with messages in flight.
        Task inFlight = dealer.SendAsync(ZmqMessage.FromStrings("lost?"));
        await peerContext.DisposeAsync();
        await Within(inFlight);

        await using ZmqSocket replacement = Context.CreateSocket(ZmqSocketType.Router);
        await replacement.BindAsync(endpoint);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ValueTask<ZmqMessage> next = replacement.ReceiveAsync(cts.Token);
        while (!next.IsCompleted)
        {
            await dealer.SendAsync(ZmqMessage.FromStrings("again"), cts.Token);
            await Task.WhenAny(next.AsTask(), Task.Delay(50, cts.Token));
        }
        ZmqMessage resumed = await next;

        Assert.Contains(Text(resumed[1]), new[] { "lost?", "again" });
        // The vanished peer's socket is closed: what it had queued can be drained, then reads fail.
        await foreach (ZmqMessage _ in peer.ReceiveAllAsync().WithCancellation(cts.Token))
        {
        }
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await peer.ReceiveAsync());
    }
}

public sealed class ZmqMonitorTests : ZmqTestBase
{
    [Fact]
    public async Task MonitorAsync_DealerConnectsLater_ReportsHandshakeSucceeded()
    {
        await using ZmqSocket dealer = Context.CreateSocket(ZmqSocketType.Dealer, new ZmqSocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(20) });
        await using ZmqSocket monitor = await dealer.MonitorAsync(ZmqMonitorEvents.HandshakeSucceeded | ZmqMonitorEvents.ConnectRetried);
        await dealer.ConnectAsync(Ipc("late"));

        await using ZmqSocket router = Context.CreateSocket(ZmqSocketType.Router);
        await router.BindAsync(Ipc("late"));
        ZmqMonitorEvent seen;
        do
        {
            Assert.True(ZmqMonitorEvent.TryParse(await Within(monitor.ReceiveAsync()), out seen));
        }
        while (seen.Event != ZmqMonitorEvents.HandshakeSucceeded);
        await dealer.StopMonitorAsync();

        Assert.EndsWith("late", seen.Endpoint, StringComparison.Ordinal);
    }
}
