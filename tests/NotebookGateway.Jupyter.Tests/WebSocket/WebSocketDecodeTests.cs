using System.Buffers.Binary;
using System.Runtime.InteropServices;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.WebSocket;
using static NotebookGateway.Jupyter.Tests.WebSocket.WebSocketTestMessages;

namespace NotebookGateway.Jupyter.Tests.WebSocket;

public sealed class WebSocketDecodeTests
{
    private const string ClientHeader =
        """{"msg_id":"c1","msg_type":"kernel_info_request","username":"","session":"sess","date":"2026-01-02T03:04:05.000Z","version":"5.2"}""";

    private readonly WebSocketMessageCodec _codec = new();

    private WebSocketDecodeResult DecodeText(string json) => _codec.Decode(WebSocketFrame.Text(Utf8(json)), WebSocketProtocol.Json);

    public static TheoryData<WebSocketProtocol, int> ProtocolsAndBufferCounts() => new()
    {
        { WebSocketProtocol.Json, 0 },
        { WebSocketProtocol.Json, 1 },
        { WebSocketProtocol.Json, 3 },
        { WebSocketProtocol.V1, 0 },
        { WebSocketProtocol.V1, 1 },
        { WebSocketProtocol.V1, 3 },
    };

    [Theory]
    [MemberData(nameof(ProtocolsAndBufferCounts))]
    public void Decode_EncodedTrickyMessage_RoundTripsExactBytes(WebSocketProtocol protocol, int bufferCount)
    {
        byte[][] buffers = Enumerable.Range(0, bufferCount).Select(i => i == 1 ? Array.Empty<byte>() : new byte[] { 0, (byte)i, 0xff, 0xc3 }).ToArray();
        JupyterMessage message = Tricky(buffers);

        WebSocketFrame frame = WebSocketMessageCodec.Encode(message, MessageChannel.Stdin, protocol);
        WebSocketDecodeResult result = _codec.Decode(frame, protocol);

        Assert.Equal(WebSocketDecodeError.None, result.Error);
        Assert.Equal(MessageChannel.Stdin, result.Channel);
        Assert.Equal(protocol == WebSocketProtocol.Json && bufferCount == 0, frame.IsText);
        AssertSameParts(message, result.Message!);
        Assert.Equal("parent-1", result.Message!.ParentMsgId);
    }

    [Fact]
    public void Decode_JupyterLabStyleTextFrame_KeepsRawPartsAsSlicesOfThePayload()
    {
        byte[] payload = Utf8("""{"header": """ + ClientHeader + """, "parent_header": {}, "metadata": {"cellId": "x"}, "content": {"code": "1"}, "buffers": [], "channel": "shell"}""");

        WebSocketDecodeResult result = _codec.Decode(WebSocketFrame.Text(payload), WebSocketProtocol.Json);

        Assert.True(result.Success, result.Error.ToString());
        JupyterMessage message = result.Message!;
        Assert.Equal(ClientHeader, Text(message.HeaderJson));
        Assert.Equal("""{"cellId": "x"}""", Text(message.MetadataJson));
        Assert.Equal("""{"code": "1"}""", Text(message.ContentJson));
        Assert.Equal("5.2", message.Header.Version);
        Assert.Empty(message.Buffers);
        Assert.True(MemoryMarshal.TryGetArray(message.ContentJson, out ArraySegment<byte> segment));
        Assert.Same(payload, segment.Array); // sliced, not copied
    }

    [Fact]
    public void Decode_TextFrameWithoutChannel_IsShell()
    {
        WebSocketDecodeResult result = DecodeText("""{"header":""" + ClientHeader + ""","parent_header":{},"metadata":{},"content":{}}""");

        Assert.True(result.Success);
        Assert.Equal(MessageChannel.Shell, result.Channel);
    }

    [Theory]
    [InlineData("null", MessageChannel.Shell)]
    [InlineData("\"control\"", MessageChannel.Control)]
    [InlineData("\"\\u0073tdin\"", MessageChannel.Stdin)]
    [InlineData("\"iopub\"", MessageChannel.IOPub)]
    public void Decode_ChannelSpellings_MapToChannel(string channelJson, MessageChannel expected)
    {
        WebSocketDecodeResult result = DecodeText("""{"channel":""" + channelJson + ""","header":""" + ClientHeader + "}");

        Assert.True(result.Success, result.Error.ToString());
        Assert.Equal(expected, result.Channel);
    }

    [Theory]
    [InlineData("\"hb\"")]
    [InlineData("\"Shell\"")]
    [InlineData("\"nope\"")]
    [InlineData("\"\"")]
    [InlineData("5")]
    [InlineData("{}")]
    [InlineData("\"\\ud800\"")]
    public void Decode_UnknownChannel_ReturnsUnknownChannel(string channelJson)
    {
        WebSocketDecodeResult result = DecodeText("""{"header":""" + ClientHeader + ""","channel":""" + channelJson + "}");

        Assert.Equal(WebSocketDecodeError.UnknownChannel, result.Error);
        Assert.Null(result.Message);
    }

    [Fact]
    public void Decode_MissingOptionalParts_BecomeEmptyObjects()
    {
        WebSocketDecodeResult result = DecodeText("""{"header":""" + ClientHeader + ""","parent_header":null,"channel":"shell"}""");

        Assert.True(result.Success, result.Error.ToString());
        Assert.Equal("{}", Text(result.Message!.ParentHeaderJson));
        Assert.Equal("{}", Text(result.Message.MetadataJson));
        Assert.Equal("{}", Text(result.Message.ContentJson));
        Assert.Null(result.Message.ParentHeader);
    }

    [Theory]
    [InlineData("""{"channel":"shell","content":{}}""", WebSocketDecodeError.MissingHeader)]
    [InlineData("""{"header":null}""", WebSocketDecodeError.MissingHeader)]
    [InlineData("""{"header":"x"}""", WebSocketDecodeError.InvalidHeader)]
    [InlineData("""{"header":[]}""", WebSocketDecodeError.InvalidHeader)]
    [InlineData("""{"header":{"msg_type":"kernel_info_request","version":"5.3"}}""", WebSocketDecodeError.InvalidHeader)]
    [InlineData("""{"header":{"msg_id":"","msg_type":"kernel_info_request","version":"5.3"}}""", WebSocketDecodeError.InvalidHeader)]
    [InlineData("""{"header":{"msg_id":"a","version":"5.3"}}""", WebSocketDecodeError.InvalidHeader)]
    [InlineData("""{"header":{"msg_id":"\ud800","msg_type":"x","version":"5.3"}}""", WebSocketDecodeError.InvalidHeader)]
    [InlineData("""{"header":{"msg_id":"a","msg_type":"x","version":"4.1"}}""", WebSocketDecodeError.UnsupportedVersion)]
    [InlineData("""{"header":{"msg_id":"a","msg_type":"x","version":"6.0"}}""", WebSocketDecodeError.UnsupportedVersion)]
    [InlineData("""{"header":{"msg_id":"a","msg_type":"x","version":"5.3"},"content":[]}""", WebSocketDecodeError.InvalidJson)]
    [InlineData("""{"header":{"msg_id":"a","msg_type":"x","version":"5.3"},"metadata":"m"}""", WebSocketDecodeError.InvalidJson)]
    [InlineData("""{"header":{"msg_id":"a","msg_type":"x","version":"5.3"},"buffers":["AAEC"]}""", WebSocketDecodeError.InvalidJson)]
    [InlineData("""{"header":{"msg_id":"a","msg_type":"x","version":"5.3"}""", WebSocketDecodeError.InvalidJson)]
    [InlineData("""{"header":{"msg_id":"a","msg_type":"x","version":"5.3"}} {}""", WebSocketDecodeError.InvalidJson)]
    [InlineData("""{"header":{"msg_id":"a","msg_type":"x","version":"5.3"},}""", WebSocketDecodeError.InvalidJson)]
    [InlineData("""{"header":{"msg_id":"a","msg_type":"x","version":"5.3"},"content":NaN}""", WebSocketDecodeError.InvalidJson)]
    [InlineData("""[{"header":{}}]""", WebSocketDecodeError.InvalidJson)]
    [InlineData("null", WebSocketDecodeError.InvalidJson)]
    [InlineData("", WebSocketDecodeError.InvalidJson)]
    [InlineData("   ", WebSocketDecodeError.InvalidJson)]
    [InlineData("{", WebSocketDecodeError.InvalidJson)]
    public void Decode_BadTextFrame_ReturnsError(string json, WebSocketDecodeError expected)
    {
        WebSocketDecodeResult result = DecodeText(json);

        Assert.Equal(expected, result.Error);
        Assert.False(result.Success);
    }

    [Fact]
    public void Decode_HeaderWithoutVersion_AcceptedByDefaultRefusedWhenRequired()
    {
        const string json = """{"header":{"msg_id":"a","msg_type":"kernel_info_request"},"channel":"shell"}""";

        Assert.True(DecodeText(json).Success);
        var strict = new WebSocketMessageCodec(new WebSocketCodecOptions { AllowMissingVersion = false });
        Assert.Equal(WebSocketDecodeError.UnsupportedVersion, strict.Decode(WebSocketFrame.Text(Utf8(json)), WebSocketProtocol.Json).Error);
    }

    [Fact]
    public void Decode_DuplicateMembers_LastOneWinsLikePython()
    {
        WebSocketDecodeResult result = DecodeText(
            """{"channel":"iopub","header":{"msg_id":"old","msg_type":"x","version":"5.3"},"header":""" + ClientHeader + ""","channel":"control"}""");

        Assert.True(result.Success);
        Assert.Equal("c1", result.Message!.MsgId);
        Assert.Equal(MessageChannel.Control, result.Channel);
    }

    [Fact]
    public void Decode_TextFrameWithInvalidUtf8InsideAString_ReturnsInvalidUtf8()
    {
        byte[] payload = Utf8("""{"header":""" + ClientHeader + ""","content":{"code":"AB"}}""");
        int index = Array.IndexOf(payload, (byte)'A');
        payload[index] = 0xc3;
        payload[index + 1] = 0x28; // an invalid two-byte sequence

        Assert.Equal(WebSocketDecodeError.InvalidUtf8, _codec.Decode(WebSocketFrame.Text(payload), WebSocketProtocol.Json).Error);
    }

    [Fact]
    public void Decode_TextFrameUnderV1_IsAcceptedAsJson()
    {
        WebSocketDecodeResult result = _codec.Decode(WebSocketFrame.Text(Utf8("""{"header":""" + ClientHeader + "}")), WebSocketProtocol.V1);

        Assert.True(result.Success);
    }

    [Fact]
    public void Decode_OversizeFrame_ReturnsOversize()
    {
        var codec = new WebSocketMessageCodec(new WebSocketCodecOptions { MaxFrameBytes = 100 });
        WebSocketFrame frame = WebSocketMessageCodec.Encode(Golden(), MessageChannel.Shell, WebSocketProtocol.V1);

        Assert.Equal(WebSocketDecodeError.Oversize, codec.Decode(frame, WebSocketProtocol.V1).Error);
        Assert.Equal(WebSocketDecodeError.Oversize, codec.Decode(WebSocketFrame.Text(new byte[101]), WebSocketProtocol.Json).Error);
    }

    [Theory]
    [InlineData(WebSocketProtocol.Json)]
    [InlineData(WebSocketProtocol.V1)]
    public void Decode_MoreBuffersThanAllowed_ReturnsTooManyBuffers(WebSocketProtocol protocol)
    {
        var codec = new WebSocketMessageCodec(new WebSocketCodecOptions { MaxBuffers = 2 });

        Assert.True(codec.Decode(WebSocketMessageCodec.Encode(Golden([1], [2]), MessageChannel.Shell, protocol), protocol).Success);
        WebSocketFrame frame = WebSocketMessageCodec.Encode(Golden([1], [2], [3]), MessageChannel.Shell, protocol);
        Assert.Equal(WebSocketDecodeError.TooManyBuffers, codec.Decode(frame, protocol).Error);
    }

    // ---- v1 binary frames ----

    private static byte[] ValidV1(params byte[][] buffers) =>
        WebSocketMessageCodec.Encode(Golden(buffers), MessageChannel.Shell, WebSocketProtocol.V1).Payload.ToArray();

    private WebSocketDecodeError DecodeV1(byte[] payload) => _codec.Decode(WebSocketFrame.Binary(payload), WebSocketProtocol.V1).Error;

    private static byte[] WithV1Offset(byte[] frame, int index, ulong value)
    {
        byte[] copy = (byte[])frame.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(8 + (8 * index)), value);
        return copy;
    }

    [Fact]
    public void Decode_ValidV1_Succeeds()
    {
        Assert.Equal(WebSocketDecodeError.None, DecodeV1(ValidV1()));
        Assert.Equal(WebSocketDecodeError.None, DecodeV1(ValidV1([9, 9], [])));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(219)]
    public void Decode_TruncatedV1_ReturnsBadOffsets(int length)
    {
        Assert.Equal(WebSocketDecodeError.BadOffsets, DecodeV1(ValidV1()[..length]));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(5UL)]
    public void Decode_V1TooFewOffsets_ReturnsBadOffsets(ulong count)
    {
        byte[] frame = ValidV1();
        BinaryPrimitives.WriteUInt64LittleEndian(frame, count);

        Assert.Equal(WebSocketDecodeError.BadOffsets, DecodeV1(frame));
    }

    [Theory]
    [InlineData(1UL << 40)]
    [InlineData(ulong.MaxValue)]
    [InlineData(71UL)]
    public void Decode_V1HugeOffsetCount_ReturnsTooManyBuffersWithoutAllocating(ulong count)
    {
        byte[] frame = ValidV1();
        BinaryPrimitives.WriteUInt64LittleEndian(frame, count);
        long before = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(WebSocketDecodeError.TooManyBuffers, DecodeV1(frame));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4096);
    }

    [Fact]
    public void Decode_V1CountWithinLimitButTableBeyondFrame_ReturnsBadOffsets()
    {
        byte[] frame = ValidV1();
        BinaryPrimitives.WriteUInt64LittleEndian(frame, 70); // 8*(1+70) = 568 > 220

        Assert.Equal(WebSocketDecodeError.BadOffsets, DecodeV1(frame));
    }

    public static TheoryData<int, ulong> BadV1Offsets() => new()
    {
        { 0, 48 },              // channel overlaps the offset table
        { 0, 57 },              // gap after the table
        { 1, 55 },              // decreasing
        { 2, 60 },              // decreasing (header ends before it starts)
        { 3, 1UL << 40 },       // huge
        { 4, ulong.MaxValue },  // huge
        { 4, 221 },             // past the end
        { 5, 219 },             // last offset is not the frame length (trailing byte)
        { 5, 221 },             // last offset past the end
    };

    [Theory]
    [MemberData(nameof(BadV1Offsets))]
    public void Decode_V1BadOffset_ReturnsBadOffsets(int index, ulong value)
    {
        Assert.Equal(WebSocketDecodeError.BadOffsets, DecodeV1(WithV1Offset(ValidV1(), index, value)));
    }

    [Fact]
    public void Decode_V1OverlappingBufferOffsets_ReturnsBadOffsets()
    {
        byte[] frame = ValidV1([1, 2, 3], [4]);
        // offsets: 0..4 start channel..content, 5 = buffer 1 start, 6 = buffer 2 start, 7 = end; point buffer 2 back into buffer 1.
        Assert.Equal(8UL, BinaryPrimitives.ReadUInt64LittleEndian(frame));
        ulong buffer1 = BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(8 + (8 * 5)));

        Assert.Equal(WebSocketDecodeError.BadOffsets, DecodeV1(WithV1Offset(frame, 6, buffer1 - 1)));
    }

    [Fact]
    public void Decode_V1EmptyBuffersAndZeroLengthParts_AreKept()
    {
        byte[] frame = ValidV1([], [], [7]);

        WebSocketDecodeResult result = _codec.Decode(WebSocketFrame.Binary(frame), WebSocketProtocol.V1);

        Assert.True(result.Success);
        Assert.Equal([0, 0, 1], result.Message!.Buffers.Select(b => b.Length));
    }

    private static byte[] V1Frame(string channel, string header, string parent = "{}", string metadata = "{}", string content = "{}")
    {
        byte[][] parts = [Utf8(channel), Utf8(header), Utf8(parent), Utf8(metadata), Utf8(content)];
        return BuildV1(parts);
    }

    private static byte[] BuildV1(byte[][] parts)
    {
        var frame = new List<byte>();
        int table = 8 * (parts.Length + 2);
        var offsets = new List<ulong> { (ulong)table };
        foreach (byte[] part in parts)
        {
            offsets.Add(offsets[^1] + (ulong)part.Length);
        }
        frame.AddRange(BitConverter.GetBytes((ulong)offsets.Count));
        foreach (ulong offset in offsets)
        {
            frame.AddRange(BitConverter.GetBytes(offset));
        }
        foreach (byte[] part in parts)
        {
            frame.AddRange(part);
        }
        return [.. frame];
    }

    [Theory]
    [InlineData("hb", WebSocketDecodeError.UnknownChannel)]
    [InlineData("", WebSocketDecodeError.UnknownChannel)]
    [InlineData("SHELL", WebSocketDecodeError.UnknownChannel)]
    [InlineData("control", WebSocketDecodeError.None)]
    public void Decode_V1Channel_IsCheckedExactly(string channel, WebSocketDecodeError expected)
    {
        Assert.Equal(expected, DecodeV1(V1Frame(channel, ClientHeader)));
    }

    [Theory]
    [InlineData("", "{}", WebSocketDecodeError.MissingHeader)]
    [InlineData("null", "{}", WebSocketDecodeError.MissingHeader)]
    [InlineData("{\"msg_type\":\"x\"}", "{}", WebSocketDecodeError.InvalidHeader)]
    [InlineData("{\"msg_id\":\"a\",\"msg_type\":\"x\",\"version\":\"3.0\"}", "{}", WebSocketDecodeError.UnsupportedVersion)]
    [InlineData(ClientHeader, "", WebSocketDecodeError.InvalidJson)]
    [InlineData(ClientHeader, "[]", WebSocketDecodeError.InvalidJson)]
    [InlineData(ClientHeader, "{} x", WebSocketDecodeError.InvalidJson)]
    [InlineData(ClientHeader, " null ", WebSocketDecodeError.None)]
    public void Decode_V1Parts_AreValidated(string header, string content, WebSocketDecodeError expected)
    {
        Assert.Equal(expected, DecodeV1(V1Frame("shell", header, content: content)));
    }

    [Fact]
    public void Decode_V1InvalidUtf8InChannelOrJson_ReturnsInvalidUtf8()
    {
        byte[][] badChannel = [[0xff, 0xfe], Utf8(ClientHeader), Utf8("{}"), Utf8("{}"), Utf8("{}")];
        byte[][] badContent = [Utf8("shell"), Utf8(ClientHeader), Utf8("{}"), Utf8("{}"), [(byte)'{', (byte)'"', 0xc0, 0xaf, (byte)'"', (byte)':', (byte)'1', (byte)'}']];

        Assert.Equal(WebSocketDecodeError.InvalidUtf8, DecodeV1(BuildV1(badChannel)));
        Assert.Equal(WebSocketDecodeError.InvalidUtf8, DecodeV1(BuildV1(badContent)));
    }

    // ---- legacy binary frames (default protocol) ----

    private static byte[] ValidLegacy(params byte[][] buffers) =>
        WebSocketMessageCodec.Encode(Golden(buffers), MessageChannel.Shell, WebSocketProtocol.Json).Payload.ToArray();

    private WebSocketDecodeError DecodeLegacy(byte[] payload) => _codec.Decode(WebSocketFrame.Binary(payload), WebSocketProtocol.Json).Error;

    [Fact]
    public void Decode_LegacyBinaryWithOnlyJson_Succeeds()
    {
        byte[] json = Utf8("""{"header":""" + ClientHeader + ""","channel":"control"}""");
        byte[] frame = [0, 0, 0, 1, 0, 0, 0, 8, .. json];

        WebSocketDecodeResult result = _codec.Decode(WebSocketFrame.Binary(frame), WebSocketProtocol.Json);

        Assert.True(result.Success, result.Error.ToString());
        Assert.Equal(MessageChannel.Control, result.Channel);
        Assert.Empty(result.Message!.Buffers);
    }

    [Fact]
    public void Decode_LegacyJsonPartListingBuffers_UsesTheBinaryBuffers()
    {
        byte[] json = Utf8("""{"header":""" + ClientHeader + ""","buffers":[{"x":1}],"channel":"shell"}""");
        byte[] frame = [0, 0, 0, 2, 0, 0, 0, 12, 0, 0, 0, (byte)(12 + json.Length), .. json, 42];

        WebSocketDecodeResult result = _codec.Decode(WebSocketFrame.Binary(frame), WebSocketProtocol.Json);

        Assert.True(result.Success, result.Error.ToString());
        Assert.Equal([42], Assert.Single(result.Message!.Buffers).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(15)]
    public void Decode_TruncatedLegacy_ReturnsBadOffsets(int length)
    {
        Assert.Equal(WebSocketDecodeError.BadOffsets, DecodeLegacy(ValidLegacy([1, 2, 3], [0xff])[..length]));
    }

    [Fact]
    public void Decode_TruncatedLegacyInsideJson_ReturnsError()
    {
        byte[] frame = ValidLegacy([1, 2, 3], [0xff]);

        Assert.NotEqual(WebSocketDecodeError.None, DecodeLegacy(frame[..100]));
    }

    [Theory]
    [InlineData(0u, WebSocketDecodeError.BadOffsets)]
    [InlineData(66u, WebSocketDecodeError.TooManyBuffers)]
    [InlineData(0x80000000u, WebSocketDecodeError.TooManyBuffers)]
    [InlineData(uint.MaxValue, WebSocketDecodeError.TooManyBuffers)]
    [InlineData(65u, WebSocketDecodeError.BadOffsets)]
    public void Decode_LegacyBadCount_ReturnsError(uint count, WebSocketDecodeError expected)
    {
        byte[] frame = ValidLegacy([1, 2, 3], [0xff]);
        BinaryPrimitives.WriteUInt32BigEndian(frame, count);

        Assert.Equal(expected, DecodeLegacy(frame));
    }

    public static TheoryData<int, uint> BadLegacyOffsets() => new()
    {
        { 0, 12 },            // JSON overlaps the table
        { 0, 17 },            // gap after the table
        { 1, 15 },            // buffer 1 inside the table
        { 2, 0x11e },         // buffer 2 before buffer 1
        { 2, 292 },           // past the end (291 bytes)
        { 1, uint.MaxValue }, // huge
    };

    [Theory]
    [MemberData(nameof(BadLegacyOffsets))]
    public void Decode_LegacyBadOffset_ReturnsBadOffsets(int index, uint value)
    {
        byte[] frame = ValidLegacy([1, 2, 3], [0xff]);
        Assert.Equal(291, frame.Length);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4 + (4 * index)), value);

        Assert.Equal(WebSocketDecodeError.BadOffsets, DecodeLegacy(frame));
    }

    [Fact]
    public void Decode_LegacyOffsetAtTheEnd_GivesEmptyBuffer()
    {
        byte[] frame = ValidLegacy([1, 2, 3], [0xff]);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(12), 291);

        WebSocketDecodeResult result = _codec.Decode(WebSocketFrame.Binary(frame), WebSocketProtocol.Json);

        Assert.True(result.Success);
        Assert.Equal([4, 0], result.Message!.Buffers.Select(b => b.Length));
    }
}
