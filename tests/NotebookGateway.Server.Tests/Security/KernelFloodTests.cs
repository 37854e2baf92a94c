using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Security;

/// <summary>
/// Issue 16: a kernel that publishes a million messages as fast as it can. The gateway's memory stays within a stated
/// bound (measured before and after, and at the peak) and another user's kernel keeps its latency.
/// </summary>
[Collection(FloodGatewayCollection.Name)]
public sealed class KernelFloodTests(FloodGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    /// <summary>Growth of the gateway's resident memory a flood may leave behind, and may reach at its peak.</summary>
    private const long RetainedBoundBytes = 64L << 20;
    private const long PeakBoundBytes = 96L << 20;

    private const int Messages = 1_000_000;

    [Fact]
    public async Task MillionMessageFlood_GatewayMemoryStaysBounded_AndAnotherUsersKernelKeepsItsLatency()
    {
        KernelSocket flooder = await ConnectAsync(await StartKernelAsync());
        using HttpClient bob = Gateway.CreateHttpClient(FloodGatewayFixture.BobToken);
        RestResponse created = await GatewayRest.SendAsync(bob, HttpMethod.Post, Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string bobKernel = created.Json!["id"]!.GetValue<string>();
        KernelSocket bobSocket = Track(await KernelSocket.ConnectAsync(Gateway.ChannelsUri(bobKernel, "bob-s", queryToken: null), "bob-s", FloodGatewayFixture.BobToken));
        await bobSocket.KernelInfoAsync();
        var bobWork = new BobWork(this, bobSocket, bob, bobKernel);
        await bobWork.RunAsync(50); // warm-up

        // The same CPU burnt in the flooder's sandbox without a message: what bob sees from the machine alone (2 cores).
        (Latency burn, _, _, _) = await WhileAsync(flooder, bobWork, "import time\n_t = time.time()\nwhile time.time() - _t < 10: pass");

        // Signed by hand and sent on the kernel's own iopub PUB socket from its IO thread (the socket's owner): as fast
        // as Python goes, and a PUB drops what its peer's high-water mark does not take.
        string flood = $$"""
            import hashlib, hmac, threading, uuid
            _k = get_ipython().kernel
            _io = _k.iopub_socket.io_thread
            _parent = _k.session.pack(_k.get_parent("shell")["header"])
            _content = b'{"name": "stdout", "text": "x"}'
            _head = ('{"msg_id": "%s-' % uuid.uuid4().hex).encode()
            _tail = ('", "msg_type": "stream", "username": "k", "session": "%s", "date": "2026-12-06T00:00:00.000000Z", "version": "5.3"}' % _k.session.session).encode()
            _topic, _key, _done = _k._topic("stream"), _k.session.key, threading.Event()
            def _flood():
                send = _io.socket.send_multipart
                for i in range({{Messages}}):
                    h = _head + str(i).encode() + _tail
                    send([_topic, b"<IDS|MSG>", hmac.new(_key, h + _parent + b"{}" + _content, hashlib.sha256).hexdigest().encode(), h, _parent, b"{}", _content])
                _done.set()
            _io.schedule(_flood)
            _done.wait()
            """;
        (Latency during, Memory memory, double gatewayCpu, TimeSpan floodTime) = await WhileAsync(flooder, bobWork, flood);

        Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flood of {Messages} messages: {floodTime.TotalSeconds:0.0} s; gateway RSS before {memory.Before >> 20} MiB, peak {memory.Peak >> 20} MiB, after {memory.After >> 20} MiB; " +
            $"bob's p99 execute / API: quiet {bobWork.Quiet.Execute:0.0} / {bobWork.Quiet.Api:0.0} ms, during a CPU burn {burn.Execute:0.0} / {burn.Api:0.0} ms, " +
            $"during the flood {during.Execute:0.0} / {during.Api:0.0} ms; frames the flooder's client got: {flooder.Frames.Count}; gateway CPU during the flood {gatewayCpu:0.0} s"));
        Assert.True(memory.After - memory.Before <= RetainedBoundBytes, $"the flood left the gateway {(memory.After - memory.Before) >> 20} MiB bigger (bound {RetainedBoundBytes >> 20} MiB)");
        Assert.True(memory.Peak - memory.Before <= PeakBoundBytes, $"the gateway grew by {(memory.Peak - memory.Before) >> 20} MiB at the peak (bound {PeakBoundBytes >> 20} MiB)");
        // Unchanged for bob: the flood costs him no more than the CPU the flooder's sandbox is allowed anyway.
        Assert.True(during.Execute <= Math.Max(2 * burn.Execute, burn.Execute + 50), $"bob's execute p99: {burn.Execute:0.0} ms during a CPU burn, {during.Execute:0.0} ms during the flood");
        Assert.True(during.Api <= Math.Max(2 * burn.Api, burn.Api + 50), $"bob's API p99: {burn.Api:0.0} ms during a CPU burn, {during.Api:0.0} ms during the flood");
        // The flood was throttled, not relayed: the flooder's client got a small share of it.
        Assert.True(flooder.Frames.Count < Messages / 10, $"the flooder's client got {flooder.Frames.Count} frames");
    }

    /// <summary>Runs <paramref name="code"/> in the flooder while bob works; his latencies over the whole run, and the gateway's memory and CPU.</summary>
    private async Task<(Latency Bob, Memory Memory, double GatewayCpu, TimeSpan Took)> WhileAsync(KernelSocket flooder, BobWork bob, string code)
    {
        long before = ResidentBytes();
        double cpuBefore = CpuSeconds();
        JsonObject request = JupyterMessages.ExecuteRequest(flooder.SessionId, code);
        string msgId = JupyterMessages.MsgId(request);
        var clock = Stopwatch.StartNew();
        await flooder.SendAsync(request);
        long peak = before;
        var samples = new List<Latency>();
        while (!flooder.Frames.Any(f => f.MsgType == "execute_reply" && f.ParentMsgId == msgId) && clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            await bob.RunAsync(10);
            peak = Math.Max(peak, ResidentBytes());
        }
        ReceivedFrame reply = await flooder.WaitForAsync(f => f.MsgType == "execute_reply" && f.ParentMsgId == msgId, TestTimeouts.Step, "the flooder's reply");
        Assert.Equal("ok", reply.ContentText("status"));
        TimeSpan took = clock.Elapsed;
        Assert.True(bob.Pending > 0, "the run ended before bob could measure anything");
        return (bob.Take(), new Memory(before, peak, ResidentBytes()), CpuSeconds() - cpuBefore, took);
    }

    private readonly record struct Latency(double Execute, double Api);

    private readonly record struct Memory(long Before, long Peak, long After);

    /// <summary>Bob's execute round trips and GET /api/kernels/{id}, in ms; p99 over everything since the last take.</summary>
    private sealed class BobWork(KernelFloodTests test, KernelSocket socket, HttpClient client, string kernelId)
    {
        private readonly List<double> _execute = [];
        private readonly List<double> _api = [];

        public Latency Quiet { get; private set; }

        public int Pending => _execute.Count;

        public async Task RunAsync(int runs)
        {
            for (int i = 0; i < runs; i++)
            {
                long start = Stopwatch.GetTimestamp();
                ExecuteResult result = await socket.ExecuteAsync("1");
                _execute.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Assert.Equal("1", result.ResultText);
                start = Stopwatch.GetTimestamp();
                using HttpResponseMessage response = await client.GetAsync(test.Gateway.Url($"api/kernels/{kernelId}"));
                _api.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            if (Quiet == default)
            {
                Quiet = Take();
            }
        }

        public Latency Take()
        {
            var latency = new Latency(Percentile(_execute, 0.99), Percentile(_api, 0.99));
            _execute.Clear();
            _api.Clear();
            return latency;
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        values.Sort();
        return values[Math.Min(values.Count - 1, (int)Math.Ceiling(p * values.Count) - 1)];
    }

    /// <summary>The gateway's user + system CPU seconds (/proc/&lt;pid&gt;/stat fields 14 and 15, in clock ticks of 1/100 s).</summary>
    private double CpuSeconds()
    {
        string stat = File.ReadAllText($"/proc/{Gateway.ProcessId}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private long ResidentBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{Gateway.ProcessId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("no VmRSS in /proc/<gateway>/status");
    }
}

/// <summary>The default limits, and a second user, bob, whose kernel must not suffer from another's flood.</summary>
public sealed class FloodGatewayFixture : GatewayFixture
{
    public static readonly string BobToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Users:0:Name"] = "bob",
        ["Users:0:TokenSha256"] = GatewayFixture.TokenSha256(BobToken),
    };
}

[CollectionDefinition(Name)]
public sealed class FloodGatewayCollection : ICollectionFixture<FloodGatewayFixture>
{
    public const string Name = "gateway with a flooding kernel";
}
