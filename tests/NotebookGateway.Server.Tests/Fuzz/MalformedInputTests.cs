using System.Buffers.Binary;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Fuzz;

/// <summary>
/// Thousands of malformed websocket frames (both protocols) and REST requests: never a 5xx, the process stays up, and a
/// connection opened before the storm still runs code afterwards. The seed is printed; set NBGW_FUZZ_SEED to replay one.
/// </summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class MalformedInputTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const int WebSocketFrames = 3000;
    private const int RestRequests = 1500;

    private static readonly string[] Channels = ["shell", "iopub", "stdin", "control", "hb", "", "bogus", "shell\0", "SHELL"];

    [Fact]
    public async Task Thousands_of_malformed_websocket_frames_leave_the_gateway_and_other_connections_working()
    {
        var random = SeededRandom();
        string kernel = await StartKernelAsync();
        KernelSocket bystander = await ConnectAsync(kernel, "bystander-" + Guid.NewGuid());
        string session = "fuzz-" + Guid.NewGuid();

        var sockets = new KernelSocket?[2]; // [0]: default protocol, [1]: v1
        int reconnects = 0;
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < WebSocketFrames; i++)
        {
            int slot = i % 3 == 2 ? 1 : 0;
            var (bytes, type, kind) = slot == 1 ? V1Frame(random, i) : DefaultFrame(random, i);
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;

            if (sockets[slot] is { } closed && closed.Closed.IsCompleted)
            {
                await closed.DisposeAsync();
                sockets[slot] = null;
            }
            if (sockets[slot] is null)
            {
                reconnects++;
                string fuzzSession = slot == 1 ? session + "-v1" : session;
                KernelSocket opened = Track(await KernelSocket.ConnectAsync(Gateway.ChannelsUri(kernel, fuzzSession, null),
                    fuzzSession, Gateway.Token, slot == 1 ? [WireFormats.V1Protocol] : null));
                Assert.Equal(slot == 1 ? WireFormats.V1Protocol : null, opened.SubProtocol);
                sockets[slot] = opened;
            }
            KernelSocket target = sockets[slot]!;
            try
            {
                await target.SendRawAsync(bytes, type);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // The gateway may close a connection that sent garbage; the next frame reconnects.
                await target.DisposeAsync();
                sockets[slot] = null;
            }
        }
        Output.WriteLine($"sent {WebSocketFrames} frames over {reconnects} connections: " + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));

        await ExpectStillServingAsync(bystander);
    }

    [Fact]
    public async Task Malformed_rest_requests_never_get_a_5xx_and_the_gateway_keeps_serving()
    {
        var random = SeededRandom();
        string kernel = await StartKernelAsync();
        KernelSocket bystander = await ConnectAsync(kernel);

        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        for (int i = 0; i < RestRequests; i++)
        {
            using HttpRequestMessage request = RestRequest(random, i);
            string description = $"{request.Method} {request.RequestUri?.PathAndQuery[..Math.Min(200, request.RequestUri.PathAndQuery.Length)]}";
            RestResponse response;
            try
            {
                response = await GatewayRest.SendAsync(Gateway.Http, request);
            }
            catch (Exception ex) when (ex is HttpRequestException or TimeoutException)
            {
                failures.Add($"{description}: {ex.Message}");
                continue;
            }
            statuses[(int)response.Status] = statuses.GetValueOrDefault((int)response.Status) + 1;
            if ((int)response.Status >= 500)
            {
                failures.Add($"#{i} {response}");
            }
            if (response.Status == HttpStatusCode.Created)
            {
                failures.Add($"#{i} a malformed request was accepted: {response}");
                if (response.Json?["id"]?.GetValue<string>() is { } id && response.Json?["kernel"] is null)
                {
                    DeleteAfterTest(id);
                }
                if (response.Json?["kernel"]?["id"]?.GetValue<string>() is { } sessionKernel)
                {
                    DeleteAfterTest(sessionKernel);
                }
            }
        }
        Output.WriteLine("statuses: " + string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} bad answers:\n{string.Join('\n', failures.Take(40))}\n--- gateway ---\n{Gateway.RecentOutput()}");

        await ExpectStillServingAsync(bystander);
    }

    private async Task ExpectStillServingAsync(KernelSocket bystander)
    {
        Assert.False(Gateway.HasExited, $"the gateway exited:\n{Gateway.RecentOutput()}");
        GatewayRest.ExpectStatus(await GatewayRest.GetAsync(Gateway, "api"), HttpStatusCode.OK, Gateway);
        Assert.Equal(WebSocketState.Open, bystander.State);
        ExecuteResult result = await bystander.ExecuteAsync("6*7");
        Assert.Equal("42", result.ResultText);
    }

    private Random SeededRandom()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("NBGW_FUZZ_SEED"), out int fixedSeed) ? fixedSeed : Environment.TickCount;
        Output.WriteLine($"fuzz seed {seed} (NBGW_FUZZ_SEED={seed} replays it)");
        return new Random(seed);
    }

    // ---- websocket frames -------------------------------------------------------------------------------------

    private static (byte[] Bytes, WebSocketMessageType Type, string Kind) DefaultFrame(Random random, int i)
    {
        if (i % 1000 == 999)
        {
            // Past the gateway's 16 MiB client message limit.
            return (RandomBytes(random, 17 * 1024 * 1024), WebSocketMessageType.Binary, "oversized");
        }
        switch (random.Next(9))
        {
            case 0:
                return (RandomBytes(random, random.Next(0, 400)), WebSocketMessageType.Text, "random text bytes");
            case 1:
                return (RandomBytes(random, random.Next(0, 400)), WebSocketMessageType.Binary, "random binary");
            case 2:
            {
                byte[] valid = WireFormats.EncodeJson(ValidLooking(random));
                return (valid[..random.Next(0, valid.Length)], WebSocketMessageType.Text, "truncated json");
            }
            case 3:
                return (Encoding.UTF8.GetBytes(NonObjectJson(random)), WebSocketMessageType.Text, "non-object json");
            case 4:
                return (WireFormats.EncodeJson(WrongShape(random)), WebSocketMessageType.Text, "wrong shape");
            case 5:
                return (LegacyBinaryWithBadOffsets(random), WebSocketMessageType.Binary, "bad binary offsets");
            case 6:
            {
                byte[] valid = WireFormats.EncodeLegacyBinary(ValidLooking(random), [RandomBytes(random, 10)]);
                Mutate(random, valid);
                return (valid, WebSocketMessageType.Binary, "mutated binary");
            }
            case 7:
            {
                byte[] valid = WireFormats.EncodeJson(ValidLooking(random));
                Mutate(random, valid);
                return (valid, WebSocketMessageType.Text, "mutated json");
            }
            default:
                return (WireFormats.EncodeJson(ValidLooking(random)), WebSocketMessageType.Text, "unknown msg_type or channel");
        }
    }

    private static (byte[] Bytes, WebSocketMessageType Type, string Kind) V1Frame(Random random, int i)
    {
        if (i % 1000 == 998)
        {
            return (RandomBytes(random, 17 * 1024 * 1024), WebSocketMessageType.Binary, "v1 oversized");
        }
        switch (random.Next(7))
        {
            case 0:
                return (RandomBytes(random, random.Next(0, 120)), WebSocketMessageType.Binary, "v1 random");
            case 1:
            {
                // Huge claimed offset count.
                byte[] frame = WireFormats.EncodeV1(ValidLooking(random));
                ulong[] claims = [ulong.MaxValue, 1UL << 62, 1UL << 31, 0, 1, 5, 7, (ulong)random.NextInt64()];
                BinaryPrimitives.WriteUInt64LittleEndian(frame, claims[random.Next(claims.Length)]);
                return (frame, WebSocketMessageType.Binary, "v1 huge count");
            }
            case 2:
            {
                // Offsets past the end, backwards, or overflowing.
                byte[] frame = WireFormats.EncodeV1(ValidLooking(random));
                int index = 1 + random.Next(6);
                ulong[] values = [ulong.MaxValue, (ulong)frame.Length + 1, 0, 8, (ulong)long.MaxValue, (ulong)random.Next(frame.Length)];
                BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 * index), values[random.Next(values.Length)]);
                return (frame, WebSocketMessageType.Binary, "v1 bad offsets");
            }
            case 3:
            {
                var parts = new List<byte[]>
                {
                    Encoding.UTF8.GetBytes(Channels[random.Next(Channels.Length)]),
                    random.Next(2) == 0 ? RandomBytes(random, 20) : Encoding.UTF8.GetBytes(NonObjectJson(random)),
                    Encoding.UTF8.GetBytes("{}"),
                    random.Next(2) == 0 ? [0xff, 0xfe] : Encoding.UTF8.GetBytes("{}"),
                    RandomBytes(random, random.Next(0, 30)),
                };
                return (WireFormats.EncodeV1Parts(parts.Take(random.Next(parts.Count + 1)).ToList()), WebSocketMessageType.Binary, "v1 bad parts");
            }
            case 4:
            {
                byte[] frame = WireFormats.EncodeV1(ValidLooking(random));
                Mutate(random, frame);
                return (frame, WebSocketMessageType.Binary, "v1 mutated");
            }
            case 5:
                return (WireFormats.EncodeJson(ValidLooking(random)), WebSocketMessageType.Text, "v1 text frame");
            default:
                return (WireFormats.EncodeV1(WrongShape(random)), WebSocketMessageType.Binary, "v1 wrong shape");
        }
    }

    /// <summary>A well-formed message that no kernel knows (unknown type, or a channel that does not exist).</summary>
    private static JsonObject ValidLooking(Random random)
    {
        string channel = Channels[random.Next(Channels.Length)];
        string type = channel == "shell" ? $"fuzz_{random.Next(1000)}_request" : "kernel_info_request";
        var message = JupyterMessages.Create(type, new JsonObject { ["x"] = random.Next() }, "fuzz", channel);
        if (random.Next(4) == 0)
        {
            message["buffers"] = new JsonArray("AAAA", 5, null);
        }
        return message;
    }

    private static string NonObjectJson(Random random) => random.Next(8) switch
    {
        0 => "[]",
        1 => "null",
        2 => "42",
        3 => "\"shell\"",
        4 => "true",
        5 => new string('[', 5000) + new string(']', 5000),
        6 => "{\"a\":" + new string('[', 100_000),
        _ => "[" + string.Join(',', Enumerable.Range(0, 1000)) + "]",
    };

    private static JsonObject WrongShape(Random random)
    {
        JsonObject message = JupyterMessages.Create("kernel_info_request", new JsonObject(), "fuzz", "shell");
        switch (random.Next(12))
        {
            case 0: message.Remove("header"); break;
            case 1: message["header"] = "not an object"; break;
            case 2: message["header"] = new JsonArray(1, 2, 3); break;
            case 3: message["header"]!["msg_type"] = 42; break;
            case 4: message["header"]!.AsObject().Remove("msg_id"); break;
            case 5: message["header"]!["msg_type"] = new string('x', 100_000); break;
            case 6: message["channel"] = 7; break;
            case 7: message["channel"] = new JsonObject { ["shell"] = true }; break;
            case 8: message["content"] = "content as a string"; break;
            case 9: message["parent_header"] = new JsonArray(); break;
            case 10: message["buffers"] = "AAAA"; break;
            default: message["metadata"] = 3.5; break;
        }
        return message;
    }

    private static byte[] LegacyBinaryWithBadOffsets(Random random)
    {
        byte[] frame = WireFormats.EncodeLegacyBinary(ValidLooking(random), [RandomBytes(random, 16)]);
        switch (random.Next(5))
        {
            case 0: BinaryPrimitives.WriteUInt32BigEndian(frame, uint.MaxValue); break;
            case 1: BinaryPrimitives.WriteUInt32BigEndian(frame, 0); break;
            case 2: BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)frame.Length + 100); break;
            case 3: BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), 0); break;
            default: BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), 2); break;
        }
        return frame;
    }

    private static void Mutate(Random random, byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return;
        }
        for (int n = random.Next(1, 8); n > 0; n--)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    // ---- REST requests ----------------------------------------------------------------------------------------

    private HttpRequestMessage RestRequest(Random random, int i)
    {
        string someId = Guid.NewGuid().ToString();
        (HttpMethod Method, string Path, byte[]? Body) choice = (i % 10) switch
        {
            0 or 1 or 2 => (HttpMethod.Post, "api/kernels", BadKernelBody(random)),
            3 or 4 => (HttpMethod.Post, "api/sessions", BadSessionBody(random)),
            5 => (HttpMethod.Patch, $"api/sessions/{someId}", RandomBody(random)),
            6 => (random.Next(2) == 0 ? HttpMethod.Post : HttpMethod.Get, $"api/kernels/{someId}/{(random.Next(3) switch { 0 => "interrupt", 1 => "restart", _ => "nope" })}", RandomBody(random)),
            7 => (HttpMethod.Get, "api/kernelspecs/" + WeirdSegment(random), null),
            8 => (new[] { HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete, new HttpMethod("PROPFIND") }[random.Next(4)],
                  new[] { "api/kernels", "api/sessions", "api/kernelspecs", "api" }[random.Next(4)], RandomBody(random)),
            _ => (HttpMethod.Get, WeirdSegment(random) + "/" + WeirdSegment(random), null),
        };
        var request = new HttpRequestMessage(choice.Method, new Uri(Gateway.BaseUri.ToString() + choice.Path));
        if (choice.Body is not null)
        {
            request.Content = new ByteArrayContent(choice.Body);
            string[] types = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1"];
            request.Content.Headers.TryAddWithoutValidation("Content-Type", types[random.Next(types.Length)]);
        }
        return request;
    }

    /// <summary>Never a valid kernel request: broken JSON, a non-object, a non-string name or an unknown spec, a non-object env.</summary>
    private static byte[] BadKernelBody(Random random) => random.Next(8) switch
    {
        0 => RandomBytes(random, random.Next(1, 300)),
        1 => Encoding.UTF8.GetBytes("""{"name":"python3","env":{"KERNEL_X":"1"}}"""[..random.Next(1, 40)]),
        2 => Encoding.UTF8.GetBytes(NonObjectJson(random)),
        3 => Encoding.UTF8.GetBytes(new JsonObject { ["name"] = new[] { (JsonNode?)5, new JsonArray("python3"), new JsonObject(), true }[random.Next(4)]?.DeepClone() }.ToJsonString()),
        4 => Encoding.UTF8.GetBytes(new JsonObject { ["env"] = new[] { (JsonNode?)"x", new JsonArray("A=1"), 5, false }[random.Next(4)]?.DeepClone() }.ToJsonString()),
        5 => Encoding.UTF8.GetBytes(new JsonObject { ["name"] = new[] { "../../etc/passwd", "python3\u0000", new string('p', 100_000), "%2e%2e", "no such spec" }[random.Next(5)] }.ToJsonString()),
        6 => [0xef, 0xbb, 0xbf, 0xff, 0xfe, (byte)'{', (byte)'}'],
        _ => Encoding.UTF8.GetBytes("{\"name\":\"" + new string('\\', random.Next(1, 5)) + "\"}"),
    };

    /// <summary>Never a valid session request: no usable path, broken JSON, or an unknown kernel.</summary>
    private static byte[] BadSessionBody(Random random) => random.Next(6) switch
    {
        0 => RandomBytes(random, random.Next(1, 300)),
        1 => Encoding.UTF8.GetBytes("""{"path":"a.ipynb","type":"notebook","kernel":{"name":"python3"}}"""[..random.Next(1, 60)]),
        2 => Encoding.UTF8.GetBytes("""{"type":"notebook","kernel":{"name":"python3"}}"""),
        3 => Encoding.UTF8.GetBytes(new JsonObject { ["path"] = new[] { (JsonNode?)5, new JsonArray(), new JsonObject(), null }[random.Next(4)]?.DeepClone(), ["type"] = "notebook", ["kernel"] = new JsonObject { ["name"] = "python3" } }.ToJsonString()),
        4 => Encoding.UTF8.GetBytes(new JsonObject { ["path"] = $"fuzz-{random.Next()}.ipynb", ["type"] = "notebook", ["kernel"] = new JsonObject { ["name"] = $"no-such-spec-{random.Next()}" } }.ToJsonString()),
        _ => Encoding.UTF8.GetBytes(NonObjectJson(random)),
    };

    private static byte[]? RandomBody(Random random) => random.Next(3) switch
    {
        0 => null,
        1 => RandomBytes(random, random.Next(0, 200)),
        _ => Encoding.UTF8.GetBytes(NonObjectJson(random)),
    };

    private static string WeirdSegment(Random random) => random.Next(8) switch
    {
        0 => "%00",
        1 => "%ff%fe",
        2 => "..%2f..%2fetc%2fpasswd",
        3 => new string('a', 4000),
        4 => "%25%32%65",
        5 => "api%2fkernels",
        6 => Uri.EscapeDataString(Encoding.Latin1.GetString(RandomBytes(random, 12))),
        _ => "x" + random.Next(),
    };
}
