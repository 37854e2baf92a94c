using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace NotebookGateway.Jupyter.Envelope;

/// <summary>
/// One Jupyter message: the parsed header the gateway routes on, and the exact JSON bytes of the four
/// signed parts, so a relayed message is never re-serialised. Immutable; copies share the byte arrays.
/// </summary>
public sealed class JupyterMessage
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    public JupyterMessage(
        MessageHeader header,
        ReadOnlyMemory<byte> headerJson,
        ReadOnlyMemory<byte> parentHeaderJson,
        ReadOnlyMemory<byte> metadataJson,
        ReadOnlyMemory<byte> contentJson,
        IReadOnlyList<ReadOnlyMemory<byte>>? buffers = null,
        IReadOnlyList<ReadOnlyMemory<byte>>? identities = null)
    {
        Header = header;
        HeaderJson = headerJson;
        ParentHeaderJson = parentHeaderJson;
        MetadataJson = metadataJson;
        ContentJson = contentJson;
        Buffers = buffers ?? [];
        Identities = identities ?? [];
        if (!parentHeaderJson.IsEmpty && MessageHeader.TryParse(parentHeaderJson.Span, out MessageHeader? parent))
        {
            ParentHeader = parent;
        }
    }

    public MessageHeader Header { get; }

    /// <summary>The parent's header, or null when the parent is <c>{}</c>.</summary>
    public MessageHeader? ParentHeader { get; }

    public string MsgId => Header.MsgId;

    public string MsgType => Header.MsgType;

    public string? ParentMsgId => ParentHeader?.MsgId;

    public ReadOnlyMemory<byte> HeaderJson { get; }

    public ReadOnlyMemory<byte> ParentHeaderJson { get; }

    public ReadOnlyMemory<byte> MetadataJson { get; }

    public ReadOnlyMemory<byte> ContentJson { get; }

    public IReadOnlyList<ReadOnlyMemory<byte>> Buffers { get; }

    /// <summary>ZMQ routing identities (ROUTER side); empty elsewhere.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Identities { get; }

    /// <summary>Creates a new message; with a parent, its header bytes become this message's parent_header verbatim.</summary>
    public static JupyterMessage Create(
        string msgType,
        ReadOnlyMemory<byte> contentJson,
        string session,
        string username,
        JupyterMessage? parent = null,
        ReadOnlyMemory<byte> metadataJson = default,
        IReadOnlyList<ReadOnlyMemory<byte>>? buffers = null,
        string version = MessageHeader.CurrentVersion,
        TimeProvider? timeProvider = null)
    {
        MessageHeader header = MessageHeader.Create(msgType, session, username, timeProvider) with { Version = version };
        return new JupyterMessage(
            header,
            header.ToJson(),
            parent?.HeaderJson ?? EmptyObject,
            metadataJson.IsEmpty ? EmptyObject : metadataJson,
            contentJson.IsEmpty ? EmptyObject : contentJson,
            buffers,
            parent?.Identities);
    }

    public static JupyterMessage Create<T>(
        string msgType,
        T content,
        JsonTypeInfo<T> contentType,
        string session,
        string username,
        JupyterMessage? parent = null) =>
        Create(msgType, JsonSerializer.SerializeToUtf8Bytes(content, contentType), session, username, parent);

    public T? ReadContent<T>(JsonTypeInfo<T> contentType) => JsonSerializer.Deserialize(ContentJson.Span, contentType);

    /// <summary>A copy addressed to other routing identities.</summary>
    public JupyterMessage WithIdentities(IReadOnlyList<ReadOnlyMemory<byte>> identities) =>
        new(Header, HeaderJson, ParentHeaderJson, MetadataJson, ContentJson, Buffers, identities);

    /// <summary>Reads one string member of the content without deserialising it (e.g. <c>execution_state</c>).</summary>
    public string? GetContentString(string propertyName)
    {
        try
        {
            var reader = new Utf8JsonReader(ContentJson.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool match = reader.ValueTextEquals(propertyName);
                reader.Read();
                if (match)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                reader.Skip();
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
        }
        return null;
    }

    public override string ToString() => $"{MsgType} {MsgId} (parent {ParentMsgId ?? "-"})";
}
