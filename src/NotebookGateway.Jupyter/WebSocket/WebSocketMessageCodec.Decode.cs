using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;

namespace NotebookGateway.Jupyter.WebSocket;

public sealed partial class WebSocketMessageCodec
{
    private const int MaxJsonDepth = 256;

    /// <summary>
    /// Decodes a frame from a client; never throws on bad input. Text frames are JSON under either protocol
    /// (jupyter_server's v1 handler would fail on them; accepting them costs nothing). Binary frames use the
    /// legacy big-endian layout under <see cref="WebSocketProtocol.Json"/> and the v1 layout under
    /// <see cref="WebSocketProtocol.V1"/>.
    /// </summary>
    /// <remarks>
    /// The message's parts and buffers are slices of <see cref="WebSocketFrame.Payload"/>, not copies: the caller
    /// must not reuse that memory (e.g. return it to a pool) while the message is alive. A missing or null
    /// parent_header, metadata or content becomes <c>{}</c>; a missing or null channel means shell.
    /// </remarks>
    public WebSocketDecodeResult Decode(WebSocketFrame frame, WebSocketProtocol protocol)
    {
        if (frame.Payload.Length > _options.MaxFrameBytes)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.Oversize);
        }
        if (frame.IsText)
        {
            return DecodeJson(frame.Payload, [], textFrame: true);
        }
        return protocol == WebSocketProtocol.V1 ? DecodeV1(frame.Payload) : DecodeLegacyBinary(frame.Payload);
    }

    private WebSocketDecodeResult DecodeLegacyBinary(ReadOnlyMemory<byte> payload)
    {
        ReadOnlySpan<byte> span = payload.Span;
        if (span.Length < 4)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.BadOffsets);
        }
        uint count = BinaryPrimitives.ReadUInt32BigEndian(span);
        if (count == 0)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.BadOffsets);
        }
        if (count - 1 > (uint)_options.MaxBuffers)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.TooManyBuffers);
        }
        long table = 4L * (count + 1);
        if (table > span.Length)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.BadOffsets);
        }
        // Part i runs from offset i to offset i+1; the last part runs to the end of the frame.
        uint previous = (uint)table;
        for (int i = 0; i < count; i++)
        {
            uint offset = BinaryPrimitives.ReadUInt32BigEndian(span[(4 + (4 * i))..]);
            if ((i == 0 && offset != table) || offset < previous || offset > span.Length)
            {
                return WebSocketDecodeResult.Fail(WebSocketDecodeError.BadOffsets);
            }
            previous = offset;
        }
        var buffers = new ReadOnlyMemory<byte>[count - 1];
        for (int i = 0; i < buffers.Length; i++)
        {
            int start = (int)BinaryPrimitives.ReadUInt32BigEndian(span[(8 + (4 * i))..]);
            int end = i + 1 < buffers.Length ? (int)BinaryPrimitives.ReadUInt32BigEndian(span[(12 + (4 * i))..]) : span.Length;
            buffers[i] = payload[start..end];
        }
        int jsonEnd = count > 1 ? (int)BinaryPrimitives.ReadUInt32BigEndian(span[8..]) : span.Length;
        return DecodeJson(payload[(int)table..jsonEnd], buffers, textFrame: false);
    }

    private WebSocketDecodeResult DecodeV1(ReadOnlyMemory<byte> payload)
    {
        ReadOnlySpan<byte> span = payload.Span;
        if (span.Length < 8)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.BadOffsets);
        }
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(span);
        if (count < 6)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.BadOffsets);
        }
        if (count - 6 > (ulong)_options.MaxBuffers)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.TooManyBuffers);
        }
        int offsetCount = (int)count;
        long table = 8L * (1 + offsetCount);
        if (table > span.Length)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.BadOffsets);
        }
        // offsets[0] starts the channel right after the table; each part ends where the next starts; the last
        // offset is the end of the last part, which must be the end of the frame.
        ulong previous = (ulong)table;
        for (int i = 0; i < offsetCount; i++)
        {
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(span[(8 + (8 * i))..]);
            if ((i == 0 && offset != (ulong)table) || offset < previous || offset > (ulong)span.Length)
            {
                return WebSocketDecodeResult.Fail(WebSocketDecodeError.BadOffsets);
            }
            previous = offset;
        }
        if (previous != (ulong)span.Length)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.BadOffsets);
        }

        ReadOnlyMemory<byte> Part(int index) =>
            payload[(int)BinaryPrimitives.ReadUInt64LittleEndian(payload.Span[(8 + (8 * index))..])..
                    (int)BinaryPrimitives.ReadUInt64LittleEndian(payload.Span[(16 + (8 * index))..])];

        ReadOnlySpan<byte> channelName = Part(0).Span;
        if (!Utf8.IsValid(channelName))
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidUtf8);
        }
        ReadOnlyMemory<byte> header = Part(1);
        if (!Utf8.IsValid(header.Span))
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidUtf8);
        }
        if (header.IsEmpty || IsJsonNull(header.Span))
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.MissingHeader);
        }
        WebSocketDecodeError error = ParseHeader(header, out MessageHeader? parsed);
        if (error != WebSocketDecodeError.None
            || (error = CheckObjectPart(Part(2), out ReadOnlyMemory<byte> parent)) != WebSocketDecodeError.None
            || (error = CheckObjectPart(Part(3), out ReadOnlyMemory<byte> metadata)) != WebSocketDecodeError.None
            || (error = CheckObjectPart(Part(4), out ReadOnlyMemory<byte> content)) != WebSocketDecodeError.None)
        {
            return WebSocketDecodeResult.Fail(error);
        }
        if (!TryParseChannel(channelName, out MessageChannel channel))
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.UnknownChannel);
        }
        var buffers = new ReadOnlyMemory<byte>[offsetCount - 6];
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = Part(5 + i);
        }
        return Create(parsed!, header, parent, metadata, content, buffers, channel);
    }

    /// <summary>A JSON message: a text frame, or the first part of a legacy binary frame (whose <c>buffers</c> member is ignored).</summary>
    private WebSocketDecodeResult DecodeJson(ReadOnlyMemory<byte> json, ReadOnlyMemory<byte>[] buffers, bool textFrame)
    {
        ReadOnlySpan<byte> span = json.Span;
        if (!Utf8.IsValid(span))
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidUtf8); // the reader skips string bytes unchecked
        }
        JsonMember header = default, parent = default, metadata = default, content = default;
        MessageChannel channel = MessageChannel.Shell;
        bool knownChannel = true;
        try
        {
            var reader = new Utf8JsonReader(span, new JsonReaderOptions { MaxDepth = MaxJsonDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidJson);
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                Member name = ClassifyMember(ref reader);
                reader.Read();
                if (name == Member.Channel)
                {
                    // Later duplicates win, as with Python's json.loads.
                    channel = MessageChannel.Shell;
                    knownChannel = reader.TokenType == JsonTokenType.Null || TryParseChannel(ref reader, out channel);
                }
                int start = (int)reader.TokenStartIndex;
                JsonTokenType type = reader.TokenType;
                reader.Skip();
                var member = new JsonMember(json[start..(int)reader.BytesConsumed], type);
                switch (name)
                {
                    case Member.Header: header = member; break;
                    case Member.ParentHeader: parent = member; break;
                    case Member.Metadata: metadata = member; break;
                    case Member.Content: content = member; break;
                    case Member.Buffers when textFrame && !IsNullOrEmptyArray(member):
                        return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidJson); // binary data cannot ride in a text frame
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidJson); // truncated, or trailing data
            }
        }
        catch (JsonException)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidJson);
        }
        catch (InvalidOperationException)
        {
            // ValueTextEquals on a member name escaping a lone surrogate ("\ud800"); Python would accept it.
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidJson);
        }

        if (header.Type is JsonTokenType.None or JsonTokenType.Null)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.MissingHeader);
        }
        if (header.Type != JsonTokenType.StartObject)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidHeader);
        }
        WebSocketDecodeError error = ParseHeader(header.Raw, out MessageHeader? parsed);
        if (error != WebSocketDecodeError.None)
        {
            return WebSocketDecodeResult.Fail(error);
        }
        if (!parent.IsObjectOrAbsent || !metadata.IsObjectOrAbsent || !content.IsObjectOrAbsent)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidJson);
        }
        if (!knownChannel)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.UnknownChannel);
        }
        return Create(parsed!, header.Raw, parent.ObjectOrEmpty, metadata.ObjectOrEmpty, content.ObjectOrEmpty, buffers, channel);
    }

    private WebSocketDecodeError ParseHeader(ReadOnlyMemory<byte> json, out MessageHeader? header)
    {
        try
        {
            if (!MessageHeader.TryParse(json.Span, out header))
            {
                return WebSocketDecodeError.InvalidHeader;
            }
        }
        catch (InvalidOperationException)
        {
            header = null; // TryParse's GetString throws on an escaped lone surrogate ("\ud800")
            return WebSocketDecodeError.InvalidHeader;
        }
        bool versionOk = header!.Version.Length == 0
            ? _options.AllowMissingVersion
            : MessageHeader.IsSupportedVersion(header.Version);
        return versionOk ? WebSocketDecodeError.None : WebSocketDecodeError.UnsupportedVersion;
    }

    private static WebSocketDecodeResult Create(
        MessageHeader header,
        ReadOnlyMemory<byte> headerJson,
        ReadOnlyMemory<byte> parent,
        ReadOnlyMemory<byte> metadata,
        ReadOnlyMemory<byte> content,
        ReadOnlyMemory<byte>[] buffers,
        MessageChannel channel)
    {
        try
        {
            // The constructor parses parent_header, which can throw like the header parse above.
            return new WebSocketDecodeResult(
                new JupyterMessage(header, headerJson, parent, metadata, content, buffers), channel, WebSocketDecodeError.None);
        }
        catch (InvalidOperationException)
        {
            return WebSocketDecodeResult.Fail(WebSocketDecodeError.InvalidJson);
        }
    }

    /// <summary>A v1 JSON part that must be an object; <c>null</c> becomes <c>{}</c>.</summary>
    private static WebSocketDecodeError CheckObjectPart(ReadOnlyMemory<byte> part, out ReadOnlyMemory<byte> value)
    {
        value = part;
        if (!Utf8.IsValid(part.Span))
        {
            return WebSocketDecodeError.InvalidUtf8;
        }
        if (IsJsonNull(part.Span))
        {
            value = EmptyObject;
            return WebSocketDecodeError.None;
        }
        return ZmqWireCodec.IsJsonObject(part.Span) ? WebSocketDecodeError.None : WebSocketDecodeError.InvalidJson;
    }

    private static bool IsJsonNull(ReadOnlySpan<byte> json) => json.Trim(" \t\r\n"u8).SequenceEqual("null"u8);

    private static bool IsNullOrEmptyArray(JsonMember member)
    {
        if (member.Type == JsonTokenType.Null)
        {
            return true;
        }
        return member.Type == JsonTokenType.StartArray
            && member.Raw.Span[1..^1].IndexOfAnyExcept(" \t\r\n"u8) < 0;
    }

    private static bool TryParseChannel(ref Utf8JsonReader reader, out MessageChannel channel)
    {
        channel = default;
        if (reader.TokenType != JsonTokenType.String)
        {
            return false; // jupyter_server: a non-string channel is "not in self.channels" and dropped
        }
        // ValueTextEquals unescapes ("\u0073hell" is shell), and throws on an escaped lone surrogate.
        try
        {
            foreach (MessageChannel candidate in ClientChannels)
            {
                if (reader.ValueTextEquals(ChannelName(candidate)))
                {
                    channel = candidate;
                    return true;
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
        return false;
    }

    private static bool TryParseChannel(ReadOnlySpan<byte> name, out MessageChannel channel)
    {
        foreach (MessageChannel candidate in ClientChannels)
        {
            if (name.SequenceEqual(ChannelName(candidate)))
            {
                channel = candidate;
                return true;
            }
        }
        channel = default;
        return false;
    }

    private static readonly MessageChannel[] ClientChannels =
        [MessageChannel.Shell, MessageChannel.Control, MessageChannel.Stdin, MessageChannel.IOPub];

    private static Member ClassifyMember(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("header"u8))
        {
            return Member.Header;
        }
        if (reader.ValueTextEquals("parent_header"u8))
        {
            return Member.ParentHeader;
        }
        if (reader.ValueTextEquals("metadata"u8))
        {
            return Member.Metadata;
        }
        if (reader.ValueTextEquals("content"u8))
        {
            return Member.Content;
        }
        if (reader.ValueTextEquals("channel"u8))
        {
            return Member.Channel;
        }
        return reader.ValueTextEquals("buffers"u8) ? Member.Buffers : Member.Other;
    }

    private enum Member
    {
        Other,
        Header,
        ParentHeader,
        Metadata,
        Content,
        Channel,
        Buffers,
    }

    /// <summary>One top-level member's raw value; <see cref="JsonTokenType.None"/> when absent.</summary>
    private readonly record struct JsonMember(ReadOnlyMemory<byte> Raw, JsonTokenType Type)
    {
        public bool IsObjectOrAbsent => Type is JsonTokenType.None or JsonTokenType.Null or JsonTokenType.StartObject;

        public ReadOnlyMemory<byte> ObjectOrEmpty => Type == JsonTokenType.StartObject ? Raw : EmptyObject;
    }
}
