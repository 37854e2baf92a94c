using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Testing;
using NotebookGateway.Zmq;

namespace NotebookGateway.Bench;

/// <summary>
/// Issue 4's numbers: one websocket client (<see cref="ChannelSocket"/>, Jupyter's JSON protocol over
/// <see cref="ClientWebSocket"/>, kernels started with <c>POST /api/kernels</c>) against (a) our gateway with sandboxed
/// kernels and (b) Debian's jupyter_server 1.23 with unsandboxed ipykernels and TCP_NODELAY on its kernel websockets,
/// beside (c) the floor: the same requests straight over ZMQ to a local ipykernel with <see cref="KernelClient"/>.
/// Each target runs alone (its server is started before and stopped after its measurements).
/// </summary>
internal static class GatewayBenchmark
{
    private const int Warmup = 50;
    private const int ConcurrentWarmup = 5;
    private const string Code = "1";

    public static async Task<int> RunAsync(string repositoryRoot, int runs, int concurrent, int starts, int concurrentRuns)
    {
        if (!File.Exists(Path.Combine(repositoryRoot, "NotebookGateway.sln")))
        {
            throw new InvalidOperationException($"Run the benchmark from the repository root (no NotebookGateway.sln in {repositoryRoot}).");
        }
        LocalIpyKernel.RequirePython("ipykernel", "python3-ipykernel");
        LocalIpyKernel.RequirePython("jupyter_server", "python3-jupyter-server");

        string loadBefore = LoadAverage();
        Console.WriteLine($"gateway benchmark: {starts} starts per target, execute `{Code}` {runs} runs (after {Warmup} warm-up), {concurrent} kernels x {concurrentRuns} runs concurrently");
        Console.WriteLine($"load average before: {loadBefore}");

        var ours = await MeasureServerAsync("our gateway", () => BenchServer.StartGatewayAsync(repositoryRoot), runs, concurrent, starts, concurrentRuns);
        var reference = await MeasureServerAsync("jupyter_server", BenchServer.StartJupyterServerAsync, runs, concurrent, starts, concurrentRuns);
        var floor = await MeasureFloorAsync(runs, concurrent, starts, concurrentRuns);
        string loadAfter = LoadAverage();

        Console.WriteLine();
        PrintTable(ours, reference, floor, runs, concurrent, concurrentRuns);
        Console.WriteLine();
        PrintGoals(ours, reference, floor);
        Console.WriteLine($"load average before: {loadBefore}   after: {loadAfter}");
        return 0;
    }

    private static async Task<TargetResult> MeasureServerAsync(string name, Func<Task<BenchServer>> startServer, int runs, int concurrent, int starts, int concurrentRuns)
    {
        Console.WriteLine($"[{name}] starting the server");
        var result = new TargetResult(name);
        await using BenchServer server = await startServer();
        Console.WriteLine($"[{name}] {server.Description}");
        using var rest = new KernelRest(server.BaseUri, server.Token);
        var live = new List<string>();
        var sockets = new List<ChannelSocket>();
        try
        {
            // Kernel start until the first kernel_info_reply, through REST and the websocket. The unmeasured first start warms
            // the server (and, for our gateway, runs the sandbox self-test).
            var startTimes = new List<double>();
            for (int i = -1; i < starts; i++)
            {
                long begin = Stopwatch.GetTimestamp();
                string id = await rest.StartKernelAsync(live);
                await using (ChannelSocket socket = await ChannelSocket.ConnectAsync(server.BaseUri, server.Token, id))
                {
                    await socket.KernelInfoAsync(Limits.KernelStart);
                    double elapsed = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
                    if (i >= 0)
                    {
                        startTimes.Add(elapsed);
                    }
                }
                await rest.DeleteKernelAsync(id, live);
            }
            result.Starts = [.. startTimes];
            Console.WriteLine($"[{name}] start p50 {Stats.Percentile(result.Starts, 50):0} ms");

            // One kernel, execute round trips.
            {
                string id = await rest.StartKernelAsync(live);
                await using (ChannelSocket socket = await ChannelSocket.ConnectAsync(server.BaseUri, server.Token, id))
                {
                    await socket.KernelInfoAsync(Limits.KernelStart);
                    result.Execute = await TimeExecutesAsync(() => socket.ExecuteAsync(Code, Limits.Step), Warmup, runs);
                }
                await rest.DeleteKernelAsync(id, live);
            }
            Console.WriteLine($"[{name}] execute p50 {Stats.Percentile(result.Execute, 50):0.000} ms");

            // Many kernels at once, each with its own websocket.
            var ids = new List<string>();
            for (int i = 0; i < concurrent; i++)
            {
                string id = await rest.StartKernelAsync(live);
                ids.Add(id);
                ChannelSocket socket = await ChannelSocket.ConnectAsync(server.BaseUri, server.Token, id);
                sockets.Add(socket);
                await socket.KernelInfoAsync(Limits.KernelStart);
            }
            (result.Concurrent, result.ConcurrentRate) = await RunConcurrentlyAsync(sockets.Select(s => (Func<Task>)(() => s.ExecuteAsync(Code, Limits.Step))).ToList(), concurrentRuns);
            Console.WriteLine($"[{name}] {concurrent} concurrent p99 {Stats.Percentile(result.Concurrent, 99):0.000} ms");
        }
        finally
        {
            foreach (ChannelSocket socket in sockets)
            {
                await socket.DisposeAsync();
            }
            foreach (string id in live.ToList())
            {
                await rest.DeleteKernelAsync(id, live, throwOnFailure: false);
            }
            await server.StopAsync();
            Console.WriteLine($"[{name}] stopped{server.StopNote}");
        }
        return result;
    }

    private static async Task<TargetResult> MeasureFloorAsync(int runs, int concurrent, int starts, int concurrentRuns)
    {
        const string name = "ZMQ floor";
        Console.WriteLine($"[{name}] local ipykernels over ipc, NotebookGateway KernelClient");
        var result = new TargetResult(name);
        await using var zmq = new ZmqContext();

        var startTimes = new List<double>();
        for (int i = -1; i < starts; i++)
        {
            long begin = Stopwatch.GetTimestamp();
            await using LocalIpyKernel kernel = await LocalIpyKernel.StartAsync("ipc");
            await using KernelClient client = await KernelClient.ConnectAsync(kernel.Connection, zmq.Reactor);
            await client.WaitForReadyAsync(Limits.KernelStart);
            double elapsed = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
            if (i >= 0)
            {
                startTimes.Add(elapsed);
            }
        }
        result.Starts = [.. startTimes];
        Console.WriteLine($"[{name}] start p50 {Stats.Percentile(result.Starts, 50):0} ms");

        {
            await using LocalIpyKernel kernel = await LocalIpyKernel.StartAsync("ipc");
            await using KernelClient client = await KernelClient.ConnectAsync(kernel.Connection, zmq.Reactor);
            await client.WaitForReadyAsync(Limits.KernelStart);
            result.Execute = await TimeExecutesAsync(() => FloorExecuteAsync(client), Warmup, runs);
        }
        Console.WriteLine($"[{name}] execute p50 {Stats.Percentile(result.Execute, 50):0.000} ms");

        var kernels = new List<LocalIpyKernel>();
        var clients = new List<KernelClient>();
        try
        {
            for (int i = 0; i < concurrent; i++)
            {
                LocalIpyKernel kernel = await LocalIpyKernel.StartAsync("ipc");
                kernels.Add(kernel);
                KernelClient client = await KernelClient.ConnectAsync(kernel.Connection, zmq.Reactor);
                clients.Add(client);
                await client.WaitForReadyAsync(Limits.KernelStart);
            }
            (result.Concurrent, result.ConcurrentRate) = await RunConcurrentlyAsync(clients.Select(c => (Func<Task>)(() => FloorExecuteAsync(c))).ToList(), concurrentRuns);
            Console.WriteLine($"[{name}] {concurrent} concurrent p99 {Stats.Percentile(result.Concurrent, 99):0.000} ms");
        }
        finally
        {
            foreach (KernelClient client in clients)
            {
                await client.DisposeAsync();
            }
            foreach (LocalIpyKernel kernel in kernels)
            {
                await kernel.DisposeAsync();
            }
        }
        return result;
    }

    private static async Task FloorExecuteAsync(KernelClient client)
    {
        using var timeout = new CancellationTokenSource(Limits.Step);
        ExecutionOutcome outcome = await client.ExecuteAsync(Code, cancellationToken: timeout.Token);
        _ = outcome;
    }

    private static async Task<double[]> TimeExecutesAsync(Func<Task> execute, int warmup, int runs)
    {
        var samples = new double[runs];
        for (int i = 0; i < warmup + runs; i++)
        {
            long begin = Stopwatch.GetTimestamp();
            await execute();
            if (i >= warmup)
            {
                samples[i - warmup] = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
            }
        }
        return samples;
    }

    /// <summary>Every kernel warms up alone, then all loop at the same time (released together); all samples pooled.</summary>
    internal static async Task<(double[] Samples, double Rate)> RunConcurrentlyAsync(IReadOnlyList<Func<Task>> executes, int runs)
    {
        foreach (Func<Task> execute in executes)
        {
            await TimeExecutesAsync(execute, 0, ConcurrentWarmup);
        }
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<double[]>[] loops = [.. executes.Select(execute => Task.Run(async () =>
        {
            await go.Task;
            return await TimeExecutesAsync(execute, 0, runs);
        }))];
        long begin = Stopwatch.GetTimestamp();
        go.SetResult();
        double[][] samples = await Task.WhenAll(loops);
        double seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
        return ([.. samples.SelectMany(s => s)], executes.Count * runs / seconds);
    }

    private static void PrintTable(TargetResult ours, TargetResult reference, TargetResult floor, int runs, int concurrent, int concurrentRuns)
    {
        const string rowFormat = "{0,-46}{1,-5}{2,14}{3,18}{4,16}";
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, rowFormat, "", "", "our gateway", "jupyter_server", "ZMQ floor"));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, rowFormat, "", "", "(sandboxed)", "1.23 + NODELAY", "(ipc, local)"));
        Row($"kernel start → kernel_info_reply, {ours.Starts.Length} starts", r => r.Starts, 50, "0");
        Row("", r => r.Starts, 90, "0");
        Row($"execute `{Code}` round trip, {runs} runs", r => r.Execute, 50, "0.00");
        Row("", r => r.Execute, 99, "0.00");
        Row($"{concurrent} kernels concurrently, {concurrent}x{concurrentRuns} runs", r => r.Concurrent, 50, "0.00");
        Row("", r => r.Concurrent, 99, "0.00");
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, rowFormat, "", "rate", Rate(ours), Rate(reference), Rate(floor)));

        void Row(string label, Func<TargetResult, double[]> samples, double percentile, string format)
        {
            string Cell(TargetResult r) => Stats.Percentile(samples(r), percentile).ToString(format, CultureInfo.InvariantCulture) + " ms";
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, rowFormat, label, FormattableString.Invariant($"p{percentile}"), Cell(ours), Cell(reference), Cell(floor)));
        }

        static string Rate(TargetResult r) => r.ConcurrentRate.ToString("0", CultureInfo.InvariantCulture) + " /s";
    }

    private static void PrintGoals(TargetResult ours, TargetResult reference, TargetResult floor)
    {
        double oursExecute = Stats.Percentile(ours.Execute, 50);
        double referenceExecute = Stats.Percentile(reference.Execute, 50);
        double floorExecute = Stats.Percentile(floor.Execute, 50);
        double oursStart = Stats.Percentile(ours.Starts, 50);
        double referenceStart = Stats.Percentile(reference.Starts, 50);
        Console.WriteLine("goals:");
        Goal("execute p50 ours ≤ reference p50", oursExecute <= referenceExecute,
            FormattableString.Invariant($"{oursExecute:0.00} ms vs {referenceExecute:0.00} ms"));
        Goal("execute p50 within 2 ms of the floor", oursExecute - floorExecute <= 2.0,
            FormattableString.Invariant($"{oursExecute:0.00} - {floorExecute:0.00} = {oursExecute - floorExecute:0.00} ms"));
        Goal("sandboxed start ≤ 1.5× reference start (p50)", oursStart <= 1.5 * referenceStart,
            FormattableString.Invariant($"{oursStart:0} ms vs 1.5 x {referenceStart:0} = {1.5 * referenceStart:0} ms ({oursStart / referenceStart:0.00}x)"));

        static void Goal(string what, bool met, string detail) =>
            Console.WriteLine($"  {(met ? "met    " : "NOT met")}  {what,-46} {detail}");
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private sealed class TargetResult(string name)
    {
        public string Name { get; } = name;

        public double[] Starts { get; set; } = [];

        public double[] Execute { get; set; } = [];

        public double[] Concurrent { get; set; } = [];

        /// <summary>Executes completed per second over all kernels while they ran concurrently.</summary>
        public double ConcurrentRate { get; set; }
    }
}

/// <summary>Upper bounds of every wait in the gateway benchmark.</summary>
internal static class Limits
{
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan KernelStart = TimeSpan.FromSeconds(90);

    public static readonly TimeSpan ServerStart = TimeSpan.FromSeconds(90);

    public static readonly TimeSpan ServerStop = TimeSpan.FromSeconds(30);
}

/// <summary><c>POST /api/kernels</c> and <c>DELETE /api/kernels/{id}</c> with <c>Authorization: token …</c>.</summary>
internal sealed class KernelRest : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _base;

    public KernelRest(Uri baseUri, string token)
    {
        _base = baseUri;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Limits.KernelStart + Limits.Short,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
    }

    /// <summary>Starts a kernel (python3 unless named); its id is added to <paramref name="live"/> before this returns.</summary>
    public async Task<string> StartKernelAsync(List<string> live, string spec = "python3")
    {
        using var content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["name"] = spec }), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await _http.PostAsync(new Uri(_base, "api/kernels"), content);
        string body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/kernels answered {(int)response.StatusCode}: {body}");
        }
        using JsonDocument model = JsonDocument.Parse(body);
        string id = model.RootElement.GetProperty("id").GetString() ?? throw new InvalidOperationException("POST /api/kernels: no id in " + body);
        live.Add(id);
        return id;
    }

    /// <summary>How many kernels GET /api/kernels lists for this token's user.</summary>
    public async Task<int> CountKernelsAsync()
    {
        using var timeout = new CancellationTokenSource(Limits.Step);
        using HttpResponseMessage response = await _http.GetAsync(new Uri(_base, "api/kernels"), timeout.Token);
        string body = await response.Content.ReadAsStringAsync(timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET /api/kernels answered {(int)response.StatusCode}: {body}");
        }
        using JsonDocument list = JsonDocument.Parse(body);
        return list.RootElement.GetArrayLength();
    }

    public async Task DeleteKernelAsync(string id, List<string> live, bool throwOnFailure = true)
    {
        try
        {
            using var timeout = new CancellationTokenSource(Limits.Step);
            using HttpResponseMessage response = await _http.DeleteAsync(new Uri(_base, "api/kernels/" + Uri.EscapeDataString(id)), timeout.Token);
            if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.NotFound))
            {
                throw new InvalidOperationException($"DELETE /api/kernels/{id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(timeout.Token)}");
            }
            live.Remove(id);
        }
        catch (Exception ex) when (!throwOnFailure && ex is HttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            Console.WriteLine($"  could not delete kernel {id}: {ex.Message}");
        }
    }

    /// <summary><c>POST /api/kernels/{id}/restart</c>: done when the kernel answers again.</summary>
    public async Task RestartKernelAsync(string id)
    {
        using var timeout = new CancellationTokenSource(Limits.KernelStart);
        using HttpResponseMessage response = await _http.PostAsync(new Uri(_base, $"api/kernels/{Uri.EscapeDataString(id)}/restart"), null, timeout.Token);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"POST /api/kernels/{id}/restart answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(timeout.Token)}");
        }
    }

    public Task<string> GetStringAsync(string relative) => _http.GetStringAsync(new Uri(_base, relative));

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// A client of <c>/api/kernels/{id}/channels</c> in Jupyter's default JSON protocol: requests are JSON text frames, and one
/// reader matches what arrives to the pending request by <c>parent_header.msg_id</c>.
/// </summary>
internal sealed class ChannelSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _ws;
    private readonly string _session = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, PendingRequest> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _sendBuffer = new(1024);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiveLoop = Task.CompletedTask;
    private int _disposed;

    private ChannelSocket(ClientWebSocket ws) => _ws = ws;

    public static async Task<ChannelSocket> ConnectAsync(Uri baseUri, string token, string kernelId)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "token " + token);
        var socket = new ChannelSocket(ws);
        var uri = new UriBuilder(new Uri(baseUri, $"api/kernels/{Uri.EscapeDataString(kernelId)}/channels"))
        {
            Scheme = "ws",
            Query = "session_id=" + socket._session,
        }.Uri;
        // jupyter_server answers the upgrade only once the kernel has replied to its own kernel_info_request.
        using var timeout = new CancellationTokenSource(Limits.KernelStart);
        try
        {
            await ws.ConnectAsync(uri, timeout.Token);
        }
        catch
        {
            ws.Dispose();
            socket._sendLock.Dispose();
            throw;
        }
        socket._receiveLoop = Task.Run(socket.ReceiveLoopAsync);
        return socket;
    }

    /// <summary>kernel_info_request on shell, sent again (with backoff) until one of them is answered.</summary>
    public async Task KernelInfoAsync(TimeSpan timeout)
    {
        var pending = new PendingRequest("kernel_info_reply", needsIdle: false);
        var sent = new List<string>();
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        TimeSpan resend = TimeSpan.FromMilliseconds(250);
        try
        {
            while (true)
            {
                string id = NewId();
                sent.Add(id);
                _pending[id] = pending;
                await SendAsync(id, "kernel_info_request", static _ => { });
                TimeSpan left = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"no kernel_info_reply within {timeout.TotalSeconds:0} s ({sent.Count} requests)");
                }
                Task wait = Task.Delay(left < resend ? left : resend);
                if (await Task.WhenAny(pending.Done.Task, wait, _closed.Task) == pending.Done.Task)
                {
                    await pending.Done.Task;
                    return;
                }
                if (_closed.Task.IsCompleted)
                {
                    throw new WebSocketException("the channels websocket closed before kernel_info_reply");
                }
                resend = TimeSpan.FromMilliseconds(Math.Min(resend.TotalMilliseconds * 2, 2000));
            }
        }
        finally
        {
            foreach (string id in sent)
            {
                _pending.TryRemove(id, out _);
            }
        }
    }

    /// <summary>Runs a cell; done when both its execute_reply (status ok) and its iopub <c>status: idle</c> have arrived. Returns its stdout.</summary>
    public async Task<string> ExecuteAsync(string code, TimeSpan timeout)
    {
        string id = NewId();
        var pending = new PendingRequest("execute_reply", needsIdle: true);
        _pending[id] = pending;
        try
        {
            await SendAsync(id, "execute_request", writer =>
            {
                writer.WriteString("code", code);
                writer.WriteBoolean("silent", false);
                writer.WriteBoolean("store_history", true);
                writer.WriteStartObject("user_expressions");
                writer.WriteEndObject();
                writer.WriteBoolean("allow_stdin", false);
                writer.WriteBoolean("stop_on_error", true);
            });
            string status = await pending.Done.Task.WaitAsync(timeout);
            if (status != "ok")
            {
                throw new InvalidOperationException($"execute {code}: execute_reply status {status}");
            }
            return pending.Stdout;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (_ws.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(Limits.Short);
            try
            {
                await _sendLock.WaitAsync(timeout.Token);
                try
                {
                    await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "benchmark done", timeout.Token);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Already closing or gone.
            }
        }
        await Task.WhenAny(_receiveLoop, Task.Delay(Limits.Short));
        _ws.Abort();
        await Task.WhenAny(_receiveLoop, Task.Delay(Limits.Short));
        _ws.Dispose();
        _sendLock.Dispose();
    }

    private static string NewId() => Guid.NewGuid().ToString("N");

    private async Task SendAsync(string msgId, string msgType, Action<Utf8JsonWriter> writeContent)
    {
        using var timeout = new CancellationTokenSource(Limits.Short);
        await _sendLock.WaitAsync(timeout.Token);
        try
        {
            _sendBuffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(_sendBuffer))
            {
                writer.WriteStartObject();
                writer.WriteStartObject("header");
                writer.WriteString("msg_id", msgId);
                writer.WriteString("session", _session);
                writer.WriteString("username", "bench");
                writer.WriteString("date", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
                writer.WriteString("msg_type", msgType);
                writer.WriteString("version", "5.3");
                writer.WriteEndObject();
                writer.WriteStartObject("parent_header");
                writer.WriteEndObject();
                writer.WriteStartObject("metadata");
                writer.WriteEndObject();
                writer.WriteStartObject("content");
                writeContent(writer);
                writer.WriteEndObject();
                writer.WriteString("channel", "shell");
                writer.WriteEndObject();
            }
            await _ws.SendAsync(_sendBuffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        Exception? failure = null;
        try
        {
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                    result = await _ws.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    Dispatch(buffer.AsMemory(0, length));
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException or JsonException)
        {
            failure = ex;
        }
        finally
        {
            _closed.TrySetResult();
            foreach (PendingRequest pending in _pending.Values)
            {
                pending.Done.TrySetException(new WebSocketException("the channels websocket closed: " + (failure?.Message ?? _ws.CloseStatusDescription)));
            }
        }
    }

    private void Dispatch(ReadOnlyMemory<byte> json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        if (!root.TryGetProperty("parent_header", out JsonElement parent) || parent.ValueKind != JsonValueKind.Object ||
            !parent.TryGetProperty("msg_id", out JsonElement parentId) || parentId.ValueKind != JsonValueKind.String ||
            !_pending.TryGetValue(parentId.GetString()!, out PendingRequest? pending))
        {
            return;
        }
        string? channel = root.TryGetProperty("channel", out JsonElement c) ? c.GetString() : null;
        string? msgType = root.TryGetProperty("header", out JsonElement header) && header.TryGetProperty("msg_type", out JsonElement t) ? t.GetString() : null;
        root.TryGetProperty("content", out JsonElement content);
        pending.Observe(channel, msgType, content);
    }

    /// <summary>Touched only by the reader.</summary>
    private sealed class PendingRequest(string replyType, bool needsIdle)
    {
        private readonly StringBuilder _stdout = new();
        private string? _status;
        private bool _idle;

        public string Stdout
        {
            get
            {
                lock (_stdout)
                {
                    return _stdout.ToString();
                }
            }
        }

        public TaskCompletionSource<string> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Observe(string? channel, string? msgType, JsonElement content)
        {
            if (channel == "shell" && msgType == replyType)
            {
                _status = content.ValueKind == JsonValueKind.Object && content.TryGetProperty("status", out JsonElement s) ? s.GetString() ?? "" : "";
            }
            else if (channel == "iopub" && msgType == "stream" && content.ValueKind == JsonValueKind.Object
                     && content.TryGetProperty("name", out JsonElement name) && name.ValueEquals("stdout") && content.TryGetProperty("text", out JsonElement text))
            {
                lock (_stdout)
                {
                    _stdout.Append(text.GetString());
                }
            }
            else if (channel == "iopub" && msgType == "status" && content.ValueKind == JsonValueKind.Object &&
                     content.TryGetProperty("execution_state", out JsonElement state) && state.ValueEquals("idle"))
            {
                _idle = true;
            }
            if (_status is not null && (_idle || !needsIdle))
            {
                Done.TrySetResult(_status);
            }
        }
    }
}

/// <summary>
/// A server under test as a child process with its own temp directory: our gateway (Release build, a copy of
/// gateway.json, <c>NBGW_</c> overrides for a free port, a random token, owner <c>nbgw-bench-gw</c> and temp socket and
/// workspace roots) or Debian's jupyter_server with the NODELAY config. Stopped with SIGTERM.
/// </summary>
internal sealed partial class BenchServer : IAsyncDisposable
{
    public const string GatewayOwner = "nbgw-bench-gw";
    private const int PortAttempts = 3;
    private const int MaxKeptLines = 2000;

    private static readonly List<BenchServer> s_live = [];

    private readonly Process _process;
    private readonly TempDirectory _root;
    private readonly Queue<string> _lines = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _isGateway;
    private bool _stopped;
    private int _lineCount;

    static BenchServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    private BenchServer(Process process, TempDirectory root, string token, int port, bool isGateway)
    {
        _process = process;
        _root = root;
        Token = token;
        Port = port;
        _isGateway = isGateway;
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
    }

    public string Token { get; }

    public int Port { get; }

    /// <summary>The server's process id (for its resident memory).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The server's own temp directory (config, socket and workspace roots).</summary>
    public string Root => _root.Path;

    public Uri BaseUri { get; private set; }

    public string Description { get; private set; } = "";

    /// <summary>Anything worth saying about the stop (containers the gateway left behind).</summary>
    public string StopNote { get; private set; } = "";

    /// <summary>Starts our gateway; <paramref name="settings"/> are extra NBGW_ environment overrides (they win).</summary>
    public static async Task<BenchServer> StartGatewayAsync(string repositoryRoot, IReadOnlyDictionary<string, string>? settings = null)
    {
        string dll = Path.Combine(repositoryRoot, "src", "NotebookGateway.Server", "bin", "Release", "net10.0", "NotebookGateway.Server.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The gateway's Release build is missing ({dll}): run bash scripts/setup.sh");
        }
        BenchServer server = await StartWithRetriesAsync(() =>
        {
            var root = new TempDirectory("nbgw-bench-gw");
            string config = root.Combine("gateway.json");
            File.Copy(Path.Combine(repositoryRoot, "gateway.json"), config);
            string token = NewToken();
            int port = LoopbackPorts.Free();
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { dll, "--config", config },
                WorkingDirectory = repositoryRoot,
            };
            // Nothing from the caller's shell may reconfigure the gateway under test.
            foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("NBGW_", StringComparison.Ordinal) || k is "ASPNETCORE_URLS" or "DOTNET_URLS").ToList())
            {
                start.Environment.Remove(name);
            }
            start.Environment["NBGW_Gateway__Listen"] = $"127.0.0.1:{port}";
            start.Environment["NBGW_Gateway__Token"] = token;
            start.Environment["NBGW_Sandbox__Owner"] = GatewayOwner;
            // The benchmark measures the gateway, not its quotas: 20+ kernels for one user.
            start.Environment["NBGW_Quotas__Default__MaxKernels"] = "0";
            start.Environment["NBGW_Quotas__Default__MaxCpus"] = "0";
            start.Environment["NBGW_Quotas__Default__MaxMemoryMiB"] = "0";
            start.Environment["NBGW_Quotas__Default__MaxWorkspaceMiB"] = "0";
            // ...nor its rate limits: hundreds of executes a minute from one user.
            start.Environment["NBGW_RateLimits__ExecuteRequestsPerMinute"] = "0";
            start.Environment["NBGW_RateLimits__KernelStartsPerMinute"] = "0";
            start.Environment["NBGW_RateLimits__WebSocketConnectionsPerMinute"] = "0";
            // Starts are cold unless a benchmark asks for a pool (the warm-start benchmark does).
            start.Environment["NBGW_Sandbox__Pool__Specs__python3__Size"] = "0";
            start.Environment["NBGW_Sandbox__SocketRoot"] = root.Combine("sockets");
            start.Environment["NBGW_Sandbox__WorkspaceRoot"] = root.Combine("workspaces");
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            foreach ((string name, string value) in settings ?? new Dictionary<string, string>())
            {
                start.Environment[name] = value;
            }
            return new BenchServer(Configure(start), root, token, port, isGateway: true);
        });
        server.Description = $"NotebookGateway on {server.BaseUri} (owner {GatewayOwner}, sandboxed python3 kernels)";
        return server;
    }

    public static async Task<BenchServer> StartJupyterServerAsync()
    {
        string configFile = Path.Combine(AppContext.BaseDirectory, "scripts", "jupyter_server_nodelay_config.py");
        BenchServer server = await StartWithRetriesAsync(() =>
        {
            var root = new TempDirectory("nbgw-bench-js");
            // The kernelspec is pinned to Debian's /usr/bin/python3 ipykernel, the one the floor and the sandbox image run.
            string spec = root.Combine(Path.Combine("jupyter-path", "kernels", "python3"));
            Directory.CreateDirectory(spec);
            File.WriteAllText(Path.Combine(spec, "kernel.json"), $$"""
                {"argv": ["{{LocalIpyKernel.Python}}", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                 "display_name": "Python 3 (ipykernel)", "language": "python"}
                """);
            Directory.CreateDirectory(root.Combine("notebooks"));
            string token = NewToken();
            int port = LoopbackPorts.Free();
            var start = new ProcessStartInfo(LocalIpyKernel.Python)
            {
                ArgumentList =
                {
                    "-m", "jupyter_server", "--config=" + configFile, "--no-browser", "--ServerApp.ip=127.0.0.1",
                    $"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.token=" + token,
                    "--ServerApp.root_dir=" + root.Combine("notebooks"),
                },
                WorkingDirectory = root.Path,
            };
            // Keep the user's Jupyter configuration, data and runtime files out of it.
            start.Environment["JUPYTER_CONFIG_DIR"] = root.Combine("config");
            start.Environment["JUPYTER_DATA_DIR"] = root.Combine("data");
            start.Environment["JUPYTER_RUNTIME_DIR"] = root.Combine("runtime");
            start.Environment["JUPYTER_PATH"] = root.Combine("jupyter-path");
            start.Environment["IPYTHONDIR"] = root.Combine("ipython");
            start.Environment["MPLBACKEND"] = "Agg";
            start.Environment.Remove("JUPYTER_TOKEN");
            return new BenchServer(Configure(start), root, token, port, isGateway: false);
        });
        server.Description = $"jupyter_server on {server.BaseUri} (unsandboxed {LocalIpyKernel.Python} ipykernels, TCP_NODELAY via {Path.GetFileName(configFile)})";
        return server;
    }

    /// <summary>SIGTERM, up to 30 s for the exit (then SIGKILL of the tree); the temp directory is removed.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        bool nodelay = OutputContains("nbgw-bench: TCP_NODELAY set");
        try
        {
            if (!_process.HasExited)
            {
                if (Kill(_process.Id, SigTerm) != 0 && !_process.HasExited)
                {
                    throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
                }
                using var timeout = new CancellationTokenSource(Limits.ServerStop);
                try
                {
                    await _process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    StopNote += $"; no exit within {Limits.ServerStop.TotalSeconds:0} s of SIGTERM, killed";
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(Limits.Short);
                }
            }
            _process.WaitForExit(); // drains the redirected output
            StopNote += $" (exit code {_process.ExitCode}, {_lineCount} output lines)";
            if (_isGateway)
            {
                int leftovers = await RemoveLeftoverContainersAsync();
                if (leftovers > 0)
                {
                    StopNote += $"; removed {leftovers} container(s) it left behind";
                }
            }
            else if (!nodelay)
            {
                StopNote += "; WARNING: the TCP_NODELAY marker never appeared in jupyter_server's log";
            }
        }
        finally
        {
            lock (s_live)
            {
                s_live.Remove(this);
            }
            _process.Dispose();
            _root.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private bool OutputContains(string text)
    {
        lock (_lines)
        {
            return _lines.Any(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    private string RecentOutput()
    {
        lock (_lines)
        {
            return string.Join('\n', _lines.TakeLast(60));
        }
    }

    private static Process Configure(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        return new Process { StartInfo = start };
    }

    private static async Task<BenchServer> StartWithRetriesAsync(Func<BenchServer> create)
    {
        for (int attempt = 1; ; attempt++)
        {
            BenchServer server = create();
            try
            {
                server.Launch();
                await server.WaitUntilReadyAsync();
                return server;
            }
            catch (InvalidOperationException) when (attempt < PortAttempts && server._process.HasExited && server.OutputContains("in use"))
            {
                // Another process took the free port between probing and binding: try another one.
                await server.StopAsync();
            }
            catch
            {
                await server.StopAsync();
                throw;
            }
        }
    }

    private void Launch()
    {
        _process.EnableRaisingEvents = true;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        lock (s_live)
        {
            s_live.Add(this);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        Task exited = _process.WaitForExitAsync();
        var deadline = Stopwatch.StartNew();
        if (_isGateway)
        {
            Task finished = await Task.WhenAny(_listening.Task, exited, Task.Delay(Limits.ServerStart));
            if (finished == _listening.Task)
            {
                BaseUri = await _listening.Task;
                if (BaseUri.Port != Port)
                {
                    throw new InvalidOperationException($"The gateway listens on {BaseUri}, not on the port it was given ({Port}).\n{RecentOutput()}");
                }
                return;
            }
        }
        else
        {
            // jupyter_server is ready when GET /api answers.
            using var http = new HttpClient { Timeout = Limits.Short };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", Token);
            while (!exited.IsCompleted && deadline.Elapsed < Limits.ServerStart)
            {
                try
                {
                    using HttpResponseMessage response = await http.GetAsync(new Uri(BaseUri, "api"));
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }
                await Task.WhenAny(exited, Task.Delay(100));
            }
        }
        if (exited.IsCompleted)
        {
            _process.WaitForExit();
            throw new InvalidOperationException($"{Path.GetFileName(_process.StartInfo.FileName)} exited with code {_process.ExitCode} before it was ready.\n{RecentOutput()}");
        }
        throw new InvalidOperationException($"{Path.GetFileName(_process.StartInfo.FileName)} was not ready within {Limits.ServerStart.TotalSeconds:0} s.\n{RecentOutput()}");
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        Interlocked.Increment(ref _lineCount);
        line = line.Replace(Token, "***", StringComparison.Ordinal);
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > MaxKeptLines)
            {
                _lines.Dequeue();
            }
        }
        if (_isGateway && ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups["url"].Value));
        }
    }

    private static async Task<int> RemoveLeftoverContainersAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(Limits.Step);
            await using var docker = await DockerClient.ConnectAsync(cancellationToken: timeout.Token);
            var containers = await docker.Containers.ListAsync(
                new ContainerListParameters { All = true, Filters = new DockerFilters().Label("org.notebookgateway.owner", GatewayOwner) }, timeout.Token);
            foreach (ContainerSummary container in containers)
            {
                await docker.Containers.RemoveAsync(container.Id, force: true, cancellationToken: timeout.Token);
            }
            return containers.Count;
        }
        catch (Exception ex) when (ex is DockerException or OperationCanceledException or HttpRequestException or IOException)
        {
            Console.WriteLine($"  could not check for leftover containers: {ex.Message}");
            return 0;
        }
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>A crashed or aborted benchmark never leaves a server behind.</summary>
    private static void KillAll()
    {
        lock (s_live)
        {
            foreach (BenchServer server in s_live)
            {
                try
                {
                    server._process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }
        }
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"NotebookGateway is listening on (?<url>http://\S+/)")]
    private static partial Regex ListeningLine();
}
