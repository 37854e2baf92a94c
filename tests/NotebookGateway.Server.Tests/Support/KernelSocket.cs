using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>One frame the gateway sent, decoded by the connection's protocol (or the reason it could not be).</summary>
public sealed record ReceivedFrame(
    int Index, WebSocketMessageType FrameType, byte[] Raw, JsonObject? Message, IReadOnlyList<byte[]> Buffers,
    string? DecodeError, int FirstOffset, int OffsetCount)
{
    public string? Channel => Text(Message?["channel"]);

    public string? MsgType => Text(Message?["header"]?["msg_type"]);

    public string? MsgId => Text(Message?["header"]?["msg_id"]);

    public string? ParentMsgId => Text(Message?["parent_header"]?["msg_id"]);

    public JsonObject? Content => Message?["content"] as JsonObject;

    public string? ContentText(string name) => Text(Content?[name]);

    public override string ToString() =>
        DecodeError is not null
            ? $"#{Index} {FrameType} {Raw.Length} bytes, undecodable: {DecodeError}"
            : $"#{Index} {Channel}/{MsgType} parent={ParentMsgId} {Content?.ToJsonString()}";

    internal static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}

/// <summary>What one cell produced for the socket that ran it.</summary>
public sealed record ExecuteResult(string MsgId, ReceivedFrame Reply, IReadOnlyList<ReceivedFrame> IOPub, IReadOnlyList<ReceivedFrame> Stdin)
{
    public string Status => Reply.ContentText("status") ?? "";

    public string Stdout => string.Concat(IOPub.Where(f => f.MsgType == "stream" && f.ContentText("name") == "stdout").Select(f => f.ContentText("text")));

    public string? ResultText => IOPub.FirstOrDefault(f => f.MsgType == "execute_result")?.Content?["data"]?["text/plain"]?.GetValue<string>();

    public string? ErrorName => IOPub.FirstOrDefault(f => f.MsgType == "error")?.ContentText("ename");

    public IEnumerable<string?> IOPubTypes => IOPub.Select(f => f.MsgType);

    public override string ToString() =>
        $"execute {MsgId}: reply {Reply}\n  iopub:\n    {string.Join("\n    ", IOPub)}\n  stdin:\n    {string.Join("\n    ", Stdin)}";
}

/// <summary>
/// A client of <c>/api/kernels/{id}/channels</c>: a background reader keeps every frame in arrival order, and waits
/// re-check their condition whenever a frame arrives or the socket closes, up to a deadline (no sleeps).
/// Speaks the default JSON protocol, or v1 when the server selected <see cref="WireFormats.V1Protocol"/>.
/// </summary>
public sealed class KernelSocket : IAsyncDisposable
{
    private const int MaxFrameBytes = 128 * 1024 * 1024;

    private readonly ClientWebSocket _ws;
    private readonly List<ReceivedFrame> _frames = [];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _receiveLoop;
    private int _disposed;

    private KernelSocket(ClientWebSocket ws, string? sessionId, IReadOnlyDictionary<string, IEnumerable<string>>? responseHeaders)
    {
        _ws = ws;
        SessionId = sessionId ?? "";
        ResponseHeaders = responseHeaders ?? new Dictionary<string, IEnumerable<string>>();
    }

    public string SessionId { get; }

    /// <summary>The subprotocol the server selected (null: none, the default JSON protocol).</summary>
    public string? SubProtocol => _ws.SubProtocol;

    public bool IsV1 => SubProtocol == WireFormats.V1Protocol;

    /// <summary>Headers of the 101 answer.</summary>
    public IReadOnlyDictionary<string, IEnumerable<string>> ResponseHeaders { get; }

    public WebSocketState State => _ws.State;

    /// <summary>Completes when the connection ends (the server's close status, or null when it was dropped).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    public string? CloseDescription => _ws.CloseStatusDescription;

    public IReadOnlyList<ReceivedFrame> Frames
    {
        get
        {
            lock (_frames)
            {
                return _frames.ToArray();
            }
        }
    }

    /// <summary>Connects and fails with the HTTP status and the gateway's output when the upgrade is refused.</summary>
    public static async Task<KernelSocket> ConnectAsync(Uri uri, string? sessionId, string? headerToken, IEnumerable<string>? subprotocols = null)
    {
        var (status, socket, error) = await TryConnectAsync(uri, sessionId, headerToken, subprotocols);
        return socket ?? throw new WebSocketException($"websocket upgrade of {Redact(uri)} refused: HTTP {(int)status} {status} ({error})");
    }

    /// <summary>Connects; on refusal returns the HTTP status of the answer (0 when there was none) and no socket.</summary>
    public static async Task<(HttpStatusCode Status, KernelSocket? Socket, string? Error)> TryConnectAsync(
        Uri uri, string? sessionId, string? headerToken, IEnumerable<string>? subprotocols = null)
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        if (headerToken is not null)
        {
            ws.Options.SetRequestHeader("Authorization", "token " + headerToken);
        }
        foreach (string protocol in subprotocols ?? [])
        {
            ws.Options.AddSubProtocol(protocol);
        }

        using var timeout = new CancellationTokenSource(TestTimeouts.Reply);
        try
        {
            await ws.ConnectAsync(uri, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            HttpStatusCode status = ws.HttpStatusCode;
            ws.Dispose();
            return (status, null, ex.Message);
        }

        var headers = ws.HttpResponseHeaders?.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
        var socket = new KernelSocket(ws, sessionId, headers);
        socket._receiveLoop = Task.Run(socket.ReceiveLoopAsync);
        return (HttpStatusCode.SwitchingProtocols, socket, null);
    }

    /// <summary>Sends a message in the connection's protocol: a JSON text frame, or a v1 binary frame.</summary>
    public Task SendAsync(JsonObject message) =>
        IsV1
            ? SendRawAsync(WireFormats.EncodeV1(message), WebSocketMessageType.Binary)
            : SendRawAsync(WireFormats.EncodeJson(message), WebSocketMessageType.Text);

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Reply);
        await _sendLock.WaitAsync(timeout.Token);
        try
        {
            await _ws.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The first frame (from the start of the connection) that matches; fails with every frame seen when none arrives in time.</summary>
    public async Task<ReceivedFrame> WaitForAsync(Func<ReceivedFrame, bool> match, TimeSpan timeout, string what)
    {
        ReceivedFrame? found = null;
        await WaitUntilAsync(frames => (found = frames.FirstOrDefault(match)) is not null, timeout, what);
        return found!;
    }

    /// <summary>Waits until <paramref name="condition"/> holds over all frames received so far.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<ReceivedFrame>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            IReadOnlyList<ReceivedFrame> frames;
            lock (_frames)
            {
                frames = _frames.ToArray();
                changed = _changed.Task;
            }
            if (condition(frames))
            {
                return;
            }
            if (_closed.Task.IsCompleted)
            {
                Assert.Fail($"{what}: the socket closed ({_closed.Task.Result} {CloseDescription}) first. Frames:\n{Describe(frames)}");
            }
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                Assert.Fail($"{what}: not within {timeout.TotalSeconds:0} s. Frames:\n{Describe(Frames)}");
            }
        }
    }

    /// <summary>Sends kernel_info_request on shell and returns the reply (also proves the connection is attached).</summary>
    public async Task<ReceivedFrame> KernelInfoAsync(TimeSpan? timeout = null)
    {
        JsonObject request = JupyterMessages.KernelInfoRequest(SessionId);
        string id = JupyterMessages.MsgId(request);
        await SendAsync(request);
        return await WaitForAsync(f => f.ParentMsgId == id && f.MsgType == "kernel_info_reply", timeout ?? TestTimeouts.KernelStart, "kernel_info_reply");
    }

    /// <summary>
    /// kernel_info_request sent again every <paramref name="resendEvery"/> until one is answered, for proxies that may
    /// drop what a client sends before their own upstream connection is up.
    /// </summary>
    public async Task<ReceivedFrame> KernelInfoResendingAsync(TimeSpan timeout, TimeSpan resendEvery)
    {
        var sent = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            JsonObject request = JupyterMessages.KernelInfoRequest(SessionId);
            lock (sent)
            {
                sent.Add(JupyterMessages.MsgId(request));
            }
            await SendAsync(request);
            TimeSpan left = deadline - DateTime.UtcNow;
            TimeSpan wait = left < resendEvery ? left : resendEvery;
            try
            {
                return await WaitForAsync(f => f.MsgType == "kernel_info_reply" && f.ParentMsgId is { } parent && Contains(sent, parent), wait,
                    $"kernel_info_reply ({sent.Count} requests sent)");
            }
            catch (Xunit.Sdk.XunitException) when (DateTime.UtcNow < deadline && !_closed.Task.IsCompleted)
            {
                // Not answered yet: ask again.
            }
        }

        static bool Contains(HashSet<string> set, string id)
        {
            lock (set)
            {
                return set.Contains(id);
            }
        }
    }

    /// <summary>
    /// Runs a cell and returns when both its execute_reply and its iopub <c>status: idle</c> have arrived.
    /// Each input_request on stdin is passed to <paramref name="onInputRequest"/> once.
    /// </summary>
    public async Task<ExecuteResult> ExecuteAsync(
        string code, TimeSpan? timeout = null, Func<ReceivedFrame, Task>? onInputRequest = null, Func<ReceivedFrame, Task>? onIOPub = null)
    {
        JsonObject request = JupyterMessages.ExecuteRequest(SessionId, code, allowStdin: onInputRequest is not null);
        string id = JupyterMessages.MsgId(request);
        int seen = Frames.Count;
        await SendAsync(request);
        var deadline = DateTime.UtcNow + (timeout ?? TestTimeouts.Step);
        while (true)
        {
            IReadOnlyList<ReceivedFrame> frames = Frames;
            for (int i = seen; i < frames.Count; i++)
            {
                ReceivedFrame frame = frames[i];
                if (frame.ParentMsgId != id)
                {
                    continue;
                }
                if (frame.Channel == "stdin" && frame.MsgType == "input_request" && onInputRequest is not null)
                {
                    await onInputRequest(frame);
                }
                else if (frame.Channel == "iopub" && onIOPub is not null)
                {
                    await onIOPub(frame);
                }
            }
            seen = frames.Count;

            var mine = frames.Where(f => f.ParentMsgId == id).ToList();
            ReceivedFrame? reply = mine.FirstOrDefault(f => f.Channel == "shell" && f.MsgType == "execute_reply");
            bool idle = mine.Any(f => f.Channel == "iopub" && f.MsgType == "status" && f.ContentText("execution_state") == "idle");
            if (reply is not null && idle)
            {
                return new ExecuteResult(id, reply, mine.Where(f => f.Channel == "iopub").ToList(), mine.Where(f => f.Channel == "stdin").ToList());
            }

            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"execute {code}: no execute_reply and idle status within {(timeout ?? TestTimeouts.Step).TotalSeconds:0} s. Frames:\n{Describe(frames)}");
            }
            await WaitForChangeAsync(frames.Count, left, $"execute {code}");
        }
    }

    /// <summary>Waits for the server to end the connection; false when it is still open after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout) =>
        await Task.WhenAny(_closed.Task, Task.Delay(timeout)) == _closed.Task;

    /// <summary>Client-initiated close (bounded); the server's answering close frame ends the reader.</summary>
    public async Task CloseAsync()
    {
        if (_ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TestTimeouts.Reply);
            try
            {
                await _sendLock.WaitAsync(timeout.Token);
                try
                {
                    await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "test done", timeout.Token);
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
        await WaitForCloseAsync(TestTimeouts.Reply);
    }

    /// <summary>Drops the TCP connection without a close handshake.</summary>
    public void Abort() => _ws.Abort();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await CloseAsync();
        _ws.Abort();
        if (_receiveLoop is not null)
        {
            await Task.WhenAny(_receiveLoop, Task.Delay(TestTimeouts.Reply));
        }
        _ws.Dispose();
    }

    public string Describe() => Describe(Frames);

    private static string Describe(IReadOnlyList<ReceivedFrame> frames) =>
        frames.Count == 0 ? "  (none)" : string.Join('\n', frames.TakeLast(60).Select(f => "  " + f));

    private async Task WaitForChangeAsync(int seenCount, TimeSpan left, string what)
    {
        Task changed;
        lock (_frames)
        {
            if (_frames.Count > seenCount)
            {
                return;
            }
            changed = _changed.Task;
        }
        if (_closed.Task.IsCompleted)
        {
            Assert.Fail($"{what}: the socket closed ({_closed.Task.Result} {CloseDescription}). Frames:\n{Describe(Frames)}");
        }
        await Task.WhenAny(changed, Task.Delay(left));
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await AnswerCloseAsync();
                        return;
                    }
                    message.Write(buffer, 0, result.Count);
                    if (message.Length > MaxFrameBytes)
                    {
                        throw new WebSocketException($"a message from the gateway exceeds {MaxFrameBytes} bytes");
                    }
                }
                while (!result.EndOfMessage);
                Append(result.MessageType, message.ToArray());
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // Dropped: Closed completes below with no close status.
        }
        finally
        {
            _closed.TrySetResult(_ws.CloseStatus);
            Pulse();
        }
    }

    private async Task AnswerCloseAsync()
    {
        if (_ws.State == WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TestTimeouts.Reply);
            try
            {
                await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The server may drop the connection right after its close frame.
            }
        }
    }

    private void Append(WebSocketMessageType type, byte[] raw)
    {
        JsonObject? message = null;
        IReadOnlyList<byte[]> buffers = [];
        string? error = null;
        int firstOffset = 0, offsetCount = 0;
        try
        {
            if (type == WebSocketMessageType.Text)
            {
                message = JsonNode.Parse(raw) as JsonObject ?? throw new FormatException("text frame is not a JSON object");
            }
            else
            {
                DecodedMessage decoded = IsV1 ? WireFormats.DecodeV1(raw) : WireFormats.DecodeLegacyBinary(raw);
                (message, buffers, firstOffset, offsetCount) = (decoded.Message, decoded.Buffers, decoded.FirstOffset, decoded.OffsetCount);
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or OverflowException or ArgumentException)
        {
            error = ex.Message + (type == WebSocketMessageType.Text ? ": " + Encoding.UTF8.GetString(raw.AsSpan(0, Math.Min(raw.Length, 200))) : "");
        }

        lock (_frames)
        {
            _frames.Add(new ReceivedFrame(_frames.Count, type, raw, message, buffers, error, firstOffset, offsetCount));
        }
        Pulse();
    }

    private void Pulse()
    {
        TaskCompletionSource previous;
        lock (_frames)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
    }

    private static string Redact(Uri uri) =>
        System.Text.RegularExpressions.Regex.Replace(uri.ToString(), "token=[^&]*", "token=***");
}
