using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.WebSocket;
using static NotebookGateway.Jupyter.Tests.WebSocket.WebSocketTestMessages;

namespace NotebookGateway.Jupyter.Tests.WebSocket;

public sealed class WebSocketEncodeTests
{
    [Fact]
    public void Encode_JsonWithoutBuffers_ProducesExactTextFrame()
    {
        WebSocketFrame frame = WebSocketMessageCodec.Encode(Golden(), MessageChannel.IOPub, WebSocketProtocol.Json);

        Assert.True(frame.IsText);
        Assert.Equal(
            "{\"header\":" + GoldenHeader + ",\"msg_id\":\"m1\",\"msg_type\":\"execute_request\",\"parent_header\":{},\"metadata\":{},"
            + "\"content\":" + GoldenContent + ",\"buffers\":[],\"channel\":\"iopub\"}",
            Text(frame.Payload));
    }

    [Fact]
    public void Encode_V1WithoutBuffers_ProducesExactBytesWithFirstOffset56()
    {
        // The 56-byte table as jupyter_server 1.23's serialize_msg_to_ws_v1 writes it for the same parts.
        const string table = "0600000000000000" + "3800000000000000" + "3d00000000000000" + "bb00000000000000"
            + "bd00000000000000" + "bf00000000000000" + "dc00000000000000";

        WebSocketFrame frame = WebSocketMessageCodec.Encode(Golden(), MessageChannel.Shell, WebSocketProtocol.V1);

        Assert.False(frame.IsText);
        byte[] expected = [.. Convert.FromHexString(table), .. Utf8("shell" + GoldenHeader + "{}{}" + GoldenContent)];
        Assert.Equal(220, expected.Length);
        Assert.Equal(expected, frame.Payload.ToArray());
        // Independent arithmetic: 1 count + 6 offsets of 8 bytes each put the channel at 56; the last offset is the length.
        Assert.Equal(6UL, BinaryPrimitives.ReadUInt64LittleEndian(frame.Payload.Span));
        Assert.Equal(56UL, BinaryPrimitives.ReadUInt64LittleEndian(frame.Payload.Span[8..]));
        Assert.Equal((ulong)frame.Payload.Length, BinaryPrimitives.ReadUInt64LittleEndian(frame.Payload.Span[48..]));
        Assert.Equal("shell", Text(frame.Payload[56..61]));
    }

    [Fact]
    public void Encode_V1WithTwoBuffers_AppendsBufferOffsetsAndBytes()
    {
        const string table = "0800000000000000" + "4800000000000000" + "4d00000000000000" + "cb00000000000000"
            + "cd00000000000000" + "cf00000000000000" + "ec00000000000000" + "ef00000000000000" + "f000000000000000";

        WebSocketFrame frame = WebSocketMessageCodec.Encode(Golden([1, 2, 3], [0xff]), MessageChannel.IOPub, WebSocketProtocol.V1);

        byte[] expected = [.. Convert.FromHexString(table), .. Utf8("iopub" + GoldenHeader + "{}{}" + GoldenContent), 1, 2, 3, 0xff];
        Assert.Equal(expected, frame.Payload.ToArray());
    }

    [Fact]
    public void Encode_JsonWithTwoBuffers_ProducesLegacyBinaryWithBigEndianOffsets()
    {
        WebSocketFrame frame = WebSocketMessageCodec.Encode(Golden([1, 2, 3], [0xff]), MessageChannel.IOPub, WebSocketProtocol.Json);

        string json = "{\"header\":" + GoldenHeader + ",\"msg_id\":\"m1\",\"msg_type\":\"execute_request\",\"parent_header\":{},"
            + "\"metadata\":{},\"content\":" + GoldenContent + ",\"channel\":\"iopub\"}";
        Assert.Equal(271, Utf8(json).Length);
        // n = 3 parts (JSON + 2 buffers); offsets 16, 16+271 = 0x11f, 0x11f+3 = 0x122.
        byte[] expected = [.. Convert.FromHexString("00000003" + "00000010" + "0000011f" + "00000122"), .. Utf8(json), 1, 2, 3, 0xff];
        Assert.False(frame.IsText);
        Assert.Equal(expected, frame.Payload.ToArray());
    }

    [Fact]
    public void Encode_JsonNonAsciiIds_TopLevelIdsMatchTheHeader()
    {
        JupyterMessage message = Tricky();

        WebSocketFrame frame = WebSocketMessageCodec.Encode(message, MessageChannel.IOPub, WebSocketProtocol.Json);

        using JsonDocument document = JsonDocument.Parse(frame.Payload);
        JsonElement root = document.RootElement;
        Assert.Equal("id-\u00e9-\u2603", root.GetProperty("msg_id").GetString());
        Assert.Equal("comm_msg", root.GetProperty("msg_type").GetString());
        Assert.Equal(TrickyHeader, root.GetProperty("header").GetRawText());
        Assert.Equal(TrickyContent, root.GetProperty("content").GetRawText());
        Assert.Equal(["header", "msg_id", "msg_type", "parent_header", "metadata", "content", "buffers", "channel"],
            root.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Encode_IdsNeedingEscapesWithoutRawHeader_WritesValidJson()
    {
        // A header record whose JSON bytes do not carry the id: the encoder falls back to escaping the string.
        var header = new MessageHeader { MsgId = "a\"b\\c\n\u00e9", MsgType = "stream", Version = "5.3" };
        var message = new JupyterMessage(header, Utf8("""{"msg_type":"stream"}"""), default, default, default);

        WebSocketFrame frame = WebSocketMessageCodec.Encode(message, MessageChannel.IOPub, WebSocketProtocol.Json);

        using JsonDocument document = JsonDocument.Parse(frame.Payload);
        Assert.Equal("a\"b\\c\n\u00e9", document.RootElement.GetProperty("msg_id").GetString());
        Assert.Equal("{}", document.RootElement.GetProperty("parent_header").GetRawText());
    }

    [Fact]
    public void Encode_EmptyParts_WritesEmptyObjects()
    {
        var header = new MessageHeader { MsgId = "m", MsgType = "status", Version = "5.3" };
        var message = new JupyterMessage(header, header.ToJson(), default, default, default);

        WebSocketFrame v1 = WebSocketMessageCodec.Encode(message, MessageChannel.IOPub, WebSocketProtocol.V1);

        WebSocketDecodeResult decoded = new WebSocketMessageCodec().Decode(v1, WebSocketProtocol.V1);
        Assert.True(decoded.Success, decoded.Error.ToString());
        Assert.Equal("{}", Text(decoded.Message!.ParentHeaderJson));
        Assert.Equal("{}", Text(decoded.Message.ContentJson));
    }

    [Theory]
    [InlineData(WebSocketProtocol.Json, 0)]
    [InlineData(WebSocketProtocol.Json, 2)]
    [InlineData(WebSocketProtocol.V1, 0)]
    [InlineData(WebSocketProtocol.V1, 2)]
    public void Encode_HotPath_AllocatesOnlyTheExactSizeFrame(WebSocketProtocol protocol, int bufferCount)
    {
        JupyterMessage message = Golden([.. Enumerable.Repeat(new byte[1000], bufferCount)]);
        WebSocketMessageCodec.Encode(message, MessageChannel.IOPub, protocol); // warm up (JIT, statics)

        long before = GC.GetAllocatedBytesForCurrentThread();
        WebSocketFrame frame = WebSocketMessageCodec.Encode(message, MessageChannel.IOPub, protocol);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(MemoryMarshal.TryGetArray(frame.Payload, out ArraySegment<byte> segment));
        Assert.Equal(segment.Array!.Length, frame.Payload.Length);
        Assert.InRange(allocated, frame.Payload.Length, frame.Payload.Length + 64);
    }

    [Fact]
    public void Encode_Heartbeat_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => WebSocketMessageCodec.Encode(Golden(), MessageChannel.Heartbeat, WebSocketProtocol.Json));
    }

    [Theory]
    [InlineData(MessageChannel.Shell, "shell")]
    [InlineData(MessageChannel.Control, "control")]
    [InlineData(MessageChannel.Stdin, "stdin")]
    [InlineData(MessageChannel.IOPub, "iopub")]
    public void Encode_EachChannel_WritesItsWireName(MessageChannel channel, string name)
    {
        WebSocketFrame json = WebSocketMessageCodec.Encode(Golden(), channel, WebSocketProtocol.Json);
        WebSocketFrame v1 = WebSocketMessageCodec.Encode(Golden(), channel, WebSocketProtocol.V1);

        using JsonDocument document = JsonDocument.Parse(json.Payload);
        Assert.Equal(name, document.RootElement.GetProperty("channel").GetString());
        Assert.Equal(name, Text(v1.Payload[56..(56 + name.Length)]));
        Assert.Equal(name, channel.ToWireName());
    }
}
