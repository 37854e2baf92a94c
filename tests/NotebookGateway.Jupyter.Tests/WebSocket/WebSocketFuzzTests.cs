using System.Buffers.Binary;
using System.Text;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.WebSocket;
using static NotebookGateway.Jupyter.Tests.WebSocket.WebSocketTestMessages;

namespace NotebookGateway.Jupyter.Tests.WebSocket;

/// <summary>
/// Random mutations of valid frames: decoding must never throw, and whatever it accepts must re-encode into
/// frames that decode to the same parts under every protocol.
/// </summary>
public sealed class WebSocketFuzzTests
{
    private const int MutationsPerSeed = 3000;

    private static readonly byte[][] Snippets =
    [
        Utf8("\\ud800"), Utf8("\\udc00"), Utf8("null"), Utf8("{"), Utf8("}"), Utf8("["), Utf8("\""), Utf8("\\"),
        Utf8(",\"channel\":\"hb\""), Utf8(",\"header\":{}"), Utf8("\"version\":\"6.0\""), [0xc3], [0xed, 0xa0, 0x80], [0xff, 0xff, 0xff, 0xff],
    ];

    public static TheoryData<string> Seeds() => new() { "json-text", "json-text-tricky", "legacy-binary", "v1", "v1-buffers" };

    private static (WebSocketFrame Frame, WebSocketProtocol Protocol) Seed(string name) => name switch
    {
        "json-text" => (WebSocketMessageCodec.Encode(Golden(), MessageChannel.Shell, WebSocketProtocol.Json), WebSocketProtocol.Json),
        "json-text-tricky" => (WebSocketMessageCodec.Encode(Tricky(), MessageChannel.IOPub, WebSocketProtocol.Json), WebSocketProtocol.Json),
        "legacy-binary" => (WebSocketMessageCodec.Encode(Tricky([1, 2, 3], [], [0xff]), MessageChannel.IOPub, WebSocketProtocol.Json), WebSocketProtocol.Json),
        "v1" => (WebSocketMessageCodec.Encode(Golden(), MessageChannel.Shell, WebSocketProtocol.V1), WebSocketProtocol.V1),
        _ => (WebSocketMessageCodec.Encode(Tricky([1, 2, 3], [], [0xff]), MessageChannel.Control, WebSocketProtocol.V1), WebSocketProtocol.V1),
    };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Decode_RandomMutations_NeverThrowAndAcceptedMessagesReEncode(string seedName)
    {
        (WebSocketFrame seed, WebSocketProtocol protocol) = Seed(seedName);
        var codec = new WebSocketMessageCodec(new WebSocketCodecOptions { MaxBuffers = 8 });
        var random = new Random(seedName.Length * 7919 + (int)protocol);
        Assert.True(codec.Decode(seed, protocol).Success);
        var errors = new Dictionary<WebSocketDecodeError, int>();

        for (int i = 0; i < MutationsPerSeed; i++)
        {
            byte[] mutated = seed.Payload.ToArray();
            int rounds = 1 + random.Next(3);
            for (int r = 0; r < rounds; r++)
            {
                mutated = Mutate(mutated, random, seed.IsText ? 4 : (protocol == WebSocketProtocol.V1 ? 8 : 4));
            }
            foreach (bool isText in new[] { seed.IsText, !seed.IsText })
            {
                foreach (WebSocketProtocol decodeAs in new[] { protocol, Other(protocol) })
                {
                    var frame = new WebSocketFrame(isText, mutated);
                    WebSocketDecodeResult result = Decode(codec, frame, decodeAs, mutated);
                    errors[result.Error] = errors.GetValueOrDefault(result.Error) + 1;
                    if (result.Success)
                    {
                        AssertReEncodes(codec, result);
                    }
                    else
                    {
                        Assert.Null(result.Message);
                    }
                }
            }
        }
        // The mutations must exercise both outcomes, or the test proves little.
        Assert.True(errors.GetValueOrDefault(WebSocketDecodeError.None) > 0, string.Join(", ", errors));
        Assert.True(errors.Count > 3, string.Join(", ", errors));
        if (Environment.GetEnvironmentVariable("NBGW_FUZZ_STATS") is not null)
        {
            Console.Error.WriteLine($"{seedName}: {string.Join(", ", errors.OrderBy(e => e.Key))}");
        }
    }

    private static WebSocketProtocol Other(WebSocketProtocol protocol) =>
        protocol == WebSocketProtocol.V1 ? WebSocketProtocol.Json : WebSocketProtocol.V1;

    private static WebSocketDecodeResult Decode(WebSocketMessageCodec codec, WebSocketFrame frame, WebSocketProtocol protocol, byte[] bytes)
    {
        try
        {
            return codec.Decode(frame, protocol);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"Decode threw {e.GetType().Name} ({e.Message}) for {(frame.IsText ? "text" : "binary")}/{protocol} frame {Convert.ToHexString(bytes)}");
            throw;
        }
    }

    private static void AssertReEncodes(WebSocketMessageCodec codec, WebSocketDecodeResult result)
    {
        foreach (WebSocketProtocol protocol in new[] { WebSocketProtocol.Json, WebSocketProtocol.V1 })
        {
            WebSocketFrame again = WebSocketMessageCodec.Encode(result.Message!, result.Channel, protocol);
            WebSocketDecodeResult second = codec.Decode(again, protocol);
            Assert.True(second.Success, $"{second.Error} after re-encoding {Text(result.Message!.HeaderJson)} as {protocol}");
            Assert.Equal(result.Channel, second.Channel);
            AssertSameParts(result.Message!, second.Message!);
        }
    }

    private static byte[] Mutate(byte[] input, Random random, int slotSize)
    {
        var bytes = new List<byte>(input);
        switch (random.Next(8))
        {
            case 0 when bytes.Count > 0:
                int bit = random.Next(bytes.Count * 8);
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                break;
            case 1 when bytes.Count > 0:
                bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                break;
            case 2:
                int cut = random.Next(bytes.Count + 1);
                bytes.RemoveRange(cut, bytes.Count - cut);
                break;
            case 3:
                bytes.InsertRange(random.Next(bytes.Count + 1), Snippets[random.Next(Snippets.Length)]);
                break;
            case 4 when bytes.Count > 0:
                int start = random.Next(bytes.Count);
                bytes.RemoveRange(start, random.Next(Math.Min(16, bytes.Count - start) + 1));
                break;
            case 5 when bytes.Count > 0:
                int from = random.Next(bytes.Count);
                bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(from, random.Next(Math.Min(32, bytes.Count - from) + 1)));
                break;
            default:
                OverwriteSlot(bytes, random, slotSize);
                break;
        }
        return [.. bytes];
    }

    /// <summary>Writes an interesting integer into one of the first table slots (count or offsets).</summary>
    private static void OverwriteSlot(List<byte> bytes, Random random, int slotSize)
    {
        int slot = random.Next(10);
        if ((slot + 1) * slotSize > bytes.Count)
        {
            return;
        }
        ulong[] interesting = [0, 1, 5, 6, 7, 8, 56, 64, (ulong)bytes.Count - 1, (ulong)bytes.Count, (ulong)bytes.Count + 1,
            uint.MaxValue, 1UL << 31, 1UL << 40, 1UL << 63, ulong.MaxValue, (ulong)random.Next(bytes.Count + 8)];
        ulong value = interesting[random.Next(interesting.Length)];
        Span<byte> buffer = stackalloc byte[8];
        if (slotSize == 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)value);
        }
        for (int i = 0; i < slotSize; i++)
        {
            bytes[(slot * slotSize) + i] = buffer[i];
        }
    }

    [Fact]
    public void Decode_RandomGarbage_NeverThrows()
    {
        var codec = new WebSocketMessageCodec();
        var random = new Random(12345);
        for (int i = 0; i < 2000; i++)
        {
            byte[] bytes = new byte[random.Next(200)];
            random.NextBytes(bytes);
            if (i % 2 == 0 && bytes.Length >= 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)random.Next(4, 12));
            }
            foreach (bool isText in new[] { true, false })
            {
                foreach (WebSocketProtocol protocol in new[] { WebSocketProtocol.Json, WebSocketProtocol.V1 })
                {
                    WebSocketDecodeResult result = Decode(codec, new WebSocketFrame(isText, bytes), protocol, bytes);
                    Assert.False(result.Success, Encoding.Latin1.GetString(bytes));
                }
            }
        }
    }
}
