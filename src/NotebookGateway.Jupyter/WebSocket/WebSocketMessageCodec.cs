using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Jupyter.WebSocket;

/// <summary>
/// Kernel messages to and from the Jupyter websocket protocols (reference §3.2–3.4):
/// <list type="bullet">
/// <item>Json (default): a text frame <c>{header, msg_id, msg_type, parent_header, metadata, content, buffers:[], channel}</c>;
/// a message with buffers becomes a binary frame <c>uint32 n, n × uint32 offset, JSON, buffers…</c> (big-endian,
/// n = 1 + buffers, offsets from the frame start, the JSON without <c>buffers</c>).</item>
/// <item>V1 (<c>v1.kernel.websocket.jupyter.org</c>): a binary frame <c>uint64 k, k × uint64 offset, channel, header,
/// parent_header, metadata, content, buffers…</c> (little-endian, k = 6 + buffers, the last offset = frame length).</item>
/// </list>
/// The four JSON parts are always the message's exact bytes: never parsed and re-serialised on the way out, and
/// sliced (not copied) out of the frame on the way in. Decoding never throws on bad input.
/// </summary>
public sealed partial class WebSocketMessageCodec
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private readonly WebSocketCodecOptions _options;

    public WebSocketMessageCodec(WebSocketCodecOptions? options = null)
    {
        _options = options ?? new WebSocketCodecOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxBuffers, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxFrameBytes, nameof(options));
    }

    public WebSocketCodecOptions Options => _options;

    private static ReadOnlySpan<byte> JsonHeaderKey => "{\"header\":"u8;

    private static ReadOnlySpan<byte> JsonMsgIdKey => ",\"msg_id\":"u8;

    private static ReadOnlySpan<byte> JsonMsgTypeKey => ",\"msg_type\":"u8;

    private static ReadOnlySpan<byte> JsonParentKey => ",\"parent_header\":"u8;

    private static ReadOnlySpan<byte> JsonMetadataKey => ",\"metadata\":"u8;

    private static ReadOnlySpan<byte> JsonContentKey => ",\"content\":"u8;

    private static ReadOnlySpan<byte> JsonBuffersAndChannelKey => ",\"buffers\":[],\"channel\":\""u8;

    private static ReadOnlySpan<byte> JsonChannelKey => ",\"channel\":\""u8;

    private static ReadOnlySpan<byte> JsonEnd => "\"}"u8;

    /// <summary>
    /// Encodes a message for one client. The result is a new array of exactly the frame's size, so one encoding
    /// can be sent to every socket using the same protocol. Heartbeat carries no messages and is refused.
    /// </summary>
    /// <remarks>
    /// The JSON parts are trusted to be well-formed (they were validated when the message was decoded from the
    /// kernel, or serialised by us); an empty part is written as <c>{}</c>.
    /// </remarks>
    public static WebSocketFrame Encode(JupyterMessage message, MessageChannel channel, WebSocketProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(message);
        ReadOnlySpan<byte> channelName = ChannelName(channel);
        return protocol == WebSocketProtocol.V1
            ? new WebSocketFrame(false, EncodeV1(message, channelName))
            : EncodeJson(message, channelName);
    }

    private static ReadOnlySpan<byte> ChannelName(MessageChannel channel) => channel switch
    {
        MessageChannel.Shell => "shell"u8,
        MessageChannel.Control => "control"u8,
        MessageChannel.Stdin => "stdin"u8,
        MessageChannel.IOPub => "iopub"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "Only shell, control, stdin and iopub carry messages."),
    };

    private static ReadOnlySpan<byte> PartOrEmpty(ReadOnlyMemory<byte> part) => part.IsEmpty ? EmptyObject : part.Span;

    private static byte[] EncodeV1(JupyterMessage message, ReadOnlySpan<byte> channelName)
    {
        ReadOnlySpan<byte> header = PartOrEmpty(message.HeaderJson);
        ReadOnlySpan<byte> parent = PartOrEmpty(message.ParentHeaderJson);
        ReadOnlySpan<byte> metadata = PartOrEmpty(message.MetadataJson);
        ReadOnlySpan<byte> content = PartOrEmpty(message.ContentJson);
        IReadOnlyList<ReadOnlyMemory<byte>> buffers = message.Buffers;

        int offsetCount = 6 + buffers.Count;
        long table = 8L * (1 + offsetCount);
        long total = table + channelName.Length + header.Length + parent.Length + metadata.Length + content.Length + BuffersLength(buffers);
        byte[] frame = Allocate(total);

        Span<byte> span = frame;
        BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)offsetCount);
        int slot = 8;
        int position = (int)table;
        PutV1(span, ref slot, ref position, channelName);
        PutV1(span, ref slot, ref position, header);
        PutV1(span, ref slot, ref position, parent);
        PutV1(span, ref slot, ref position, metadata);
        PutV1(span, ref slot, ref position, content);
        for (int i = 0; i < buffers.Count; i++)
        {
            PutV1(span, ref slot, ref position, buffers[i].Span);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(span[slot..], (ulong)position); // the end: the frame length
        return frame;
    }

    private static void PutV1(Span<byte> frame, ref int slot, ref int position, ReadOnlySpan<byte> part)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(frame[slot..], (ulong)position);
        slot += 8;
        part.CopyTo(frame[position..]);
        position += part.Length;
    }

    private static WebSocketFrame EncodeJson(JupyterMessage message, ReadOnlySpan<byte> channelName)
    {
        ReadOnlySpan<byte> header = PartOrEmpty(message.HeaderJson);
        ReadOnlySpan<byte> parent = PartOrEmpty(message.ParentHeaderJson);
        ReadOnlySpan<byte> metadata = PartOrEmpty(message.MetadataJson);
        ReadOnlySpan<byte> content = PartOrEmpty(message.ContentJson);
        JsonStringToken msgId = JsonStringToken.For(message.MsgId, message.HeaderJson, "msg_id"u8);
        JsonStringToken msgType = JsonStringToken.For(message.MsgType, message.HeaderJson, "msg_type"u8);
        IReadOnlyList<ReadOnlyMemory<byte>> buffers = message.Buffers;
        bool binary = buffers.Count > 0;
        ReadOnlySpan<byte> channelKey = binary ? JsonChannelKey : JsonBuffersAndChannelKey;

        long jsonLength = JsonHeaderKey.Length + header.Length
            + JsonMsgIdKey.Length + msgId.Length
            + JsonMsgTypeKey.Length + msgType.Length
            + JsonParentKey.Length + parent.Length
            + JsonMetadataKey.Length + metadata.Length
            + JsonContentKey.Length + content.Length
            + channelKey.Length + channelName.Length + JsonEnd.Length;

        int partCount = 1 + buffers.Count;
        long table = binary ? 4L * (partCount + 1) : 0;
        byte[] frame = Allocate(table + jsonLength + BuffersLength(buffers));
        Span<byte> span = frame;

        int position = (int)table;
        Put(span, ref position, JsonHeaderKey);
        Put(span, ref position, header);
        Put(span, ref position, JsonMsgIdKey);
        position += msgId.WriteTo(span[position..]);
        Put(span, ref position, JsonMsgTypeKey);
        position += msgType.WriteTo(span[position..]);
        Put(span, ref position, JsonParentKey);
        Put(span, ref position, parent);
        Put(span, ref position, JsonMetadataKey);
        Put(span, ref position, metadata);
        Put(span, ref position, JsonContentKey);
        Put(span, ref position, content);
        Put(span, ref position, channelKey);
        Put(span, ref position, channelName);
        Put(span, ref position, JsonEnd);
        if (!binary)
        {
            return new WebSocketFrame(true, frame);
        }

        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)partCount);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)table);
        for (int i = 0; i < buffers.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[(8 + (4 * i))..], (uint)position);
            Put(span, ref position, buffers[i].Span);
        }
        return new WebSocketFrame(false, frame);
    }

    private static void Put(Span<byte> frame, ref int position, ReadOnlySpan<byte> part)
    {
        part.CopyTo(frame[position..]);
        position += part.Length;
    }

    private static long BuffersLength(IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        long length = 0;
        for (int i = 0; i < buffers.Count; i++)
        {
            length += buffers[i].Length;
        }
        return length;
    }

    private static byte[] Allocate(long length)
    {
        if (length > Array.MaxLength)
        {
            throw new ArgumentException($"A {length}-byte message does not fit in one websocket frame.");
        }
        return GC.AllocateUninitializedArray<byte>((int)length);
    }

    /// <summary>
    /// A JSON string token (quotes included) for the top-level <c>msg_id</c>/<c>msg_type</c>. Plain printable
    /// ASCII, the usual case, is written straight from the string; anything else is sliced from the header's
    /// own bytes, so escapes survive exactly and nothing can fail to transcode.
    /// </summary>
    private readonly struct JsonStringToken
    {
        private readonly string? _plain;
        private readonly ReadOnlyMemory<byte> _raw;

        private JsonStringToken(string? plain, ReadOnlyMemory<byte> raw)
        {
            _plain = plain;
            _raw = raw;
        }

        public int Length => _plain is not null ? _plain.Length + 2 : _raw.Length;

        public static JsonStringToken For(string value, ReadOnlyMemory<byte> headerJson, ReadOnlySpan<byte> propertyName)
        {
            if (IsPlainAscii(value))
            {
                return new JsonStringToken(value, default);
            }
            ReadOnlyMemory<byte> raw = FindRawString(headerJson, propertyName);
            return new JsonStringToken(null, raw.IsEmpty ? Escape(value) : raw);
        }

        public int WriteTo(Span<byte> destination)
        {
            if (_plain is null)
            {
                _raw.Span.CopyTo(destination);
                return _raw.Length;
            }
            destination[0] = (byte)'"';
            Ascii.FromUtf16(_plain, destination[1..], out int written);
            destination[1 + written] = (byte)'"';
            return written + 2;
        }

        private static bool IsPlainAscii(string value)
        {
            foreach (char c in value)
            {
                if (c is < ' ' or > '~' or '"' or '\\')
                {
                    return false;
                }
            }
            return true;
        }

        /// <summary>The last top-level string member named <paramref name="propertyName"/>, as raw token bytes.</summary>
        private static ReadOnlyMemory<byte> FindRawString(ReadOnlyMemory<byte> json, ReadOnlySpan<byte> propertyName)
        {
            ReadOnlyMemory<byte> found = default;
            try
            {
                var reader = new Utf8JsonReader(json.Span);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return default;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool match = reader.ValueTextEquals(propertyName);
                    reader.Read();
                    if (match && reader.TokenType == JsonTokenType.String)
                    {
                        int start = (int)reader.TokenStartIndex;
                        found = json[start..(int)reader.BytesConsumed];
                    }
                    reader.Skip();
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                return default; // InvalidOperationException: a member name escaping a lone surrogate
            }
            return found;
        }

        private static byte[] Escape(string value)
        {
            try
            {
                ReadOnlySpan<byte> escaped = JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes;
                byte[] token = new byte[escaped.Length + 2];
                token[0] = (byte)'"';
                escaped.CopyTo(token.AsSpan(1));
                token[^1] = (byte)'"';
                return token;
            }
            catch (ArgumentException)
            {
                return "\"\""u8.ToArray(); // invalid UTF-16 that is not in the header bytes: nothing faithful to write
            }
        }
    }
}
