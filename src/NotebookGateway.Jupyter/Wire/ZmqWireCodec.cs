using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Unicode;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Zmq;

namespace NotebookGateway.Jupyter.Wire;

/// <summary>
/// The Jupyter ZMQ multipart format:
/// <c>[identities…, "&lt;IDS|MSG&gt;", hmac, header, parent_header, metadata, content, buffers…]</c>.
/// Decoding never throws on bad input: it returns the reason, counts it, and the message is dropped.
/// One codec per socket: the replay history is per connection.
/// </summary>
public sealed class ZmqWireCodec
{
    public static ReadOnlySpan<byte> Delimiter => "<IDS|MSG>"u8;

    // One shared frame for every encoded message (frames are never written to after sending).
    private static readonly byte[] s_delimiterFrame = Delimiter.ToArray();

    private static readonly Meter s_meter = new("NotebookGateway.Jupyter");
    private static readonly Counter<long> s_rejected = s_meter.CreateCounter<long>(
        "jupyter_wire_rejected_messages", description: "Messages from kernels or clients refused by the wire codec, by reason.");

    private readonly MessageSigner _signer;
    private readonly WireLimits _limits;
    private readonly SignatureHistory _history;
    private long _rejectedCount;

    public ZmqWireCodec(MessageSigner signer, WireLimits? limits = null)
    {
        _signer = signer;
        _limits = limits ?? new WireLimits();
        _history = new SignatureHistory(_limits.SignatureHistory);
    }

    /// <summary>Messages this codec refused since it was created.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejectedCount);

    /// <summary>Raised for every refused message (for security logging); must be cheap.</summary>
    public event Action<WireError>? Rejected;

    public ZmqMessage Encode(JupyterMessage message)
    {
        var frames = new ReadOnlyMemory<byte>[message.Identities.Count + 6 + message.Buffers.Count];
        int i = 0;
        foreach (ReadOnlyMemory<byte> identity in message.Identities)
        {
            frames[i++] = identity;
        }
        frames[i++] = s_delimiterFrame;
        frames[i++] = _signer.Sign(message.HeaderJson.Span, message.ParentHeaderJson.Span, message.MetadataJson.Span, message.ContentJson.Span);
        frames[i++] = message.HeaderJson;
        frames[i++] = message.ParentHeaderJson;
        frames[i++] = message.MetadataJson;
        frames[i++] = message.ContentJson;
        foreach (ReadOnlyMemory<byte> buffer in message.Buffers)
        {
            frames[i++] = buffer;
        }
        return new ZmqMessage(frames);
    }

    public DecodeResult Decode(ZmqMessage frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        DecodeResult result = DecodeCore(frames);
        if (!result.Success)
        {
            Interlocked.Increment(ref _rejectedCount);
            s_rejected.Add(1, new KeyValuePair<string, object?>("reason", result.Error.ToString()));
            Rejected?.Invoke(result.Error);
        }
        return result;
    }

    private DecodeResult DecodeCore(ZmqMessage frames)
    {
        if (frames.TotalBytes > _limits.MaxMessageBytes)
        {
            return DecodeResult.Fail(WireError.Oversize);
        }
        int delimiter = -1;
        for (int i = 0; i < frames.Count; i++)
        {
            if (frames[i].Span.SequenceEqual(Delimiter))
            {
                delimiter = i;
                break;
            }
        }
        if (delimiter < 0)
        {
            return DecodeResult.Fail(WireError.MissingDelimiter);
        }
        if (delimiter > _limits.MaxIdentities)
        {
            return DecodeResult.Fail(WireError.TooManyIdentities);
        }
        int first = delimiter + 1;
        if (frames.Count - first < 5)
        {
            return DecodeResult.Fail(WireError.TooFewFrames);
        }
        if (frames.Count - first - 5 > _limits.MaxBuffers)
        {
            return DecodeResult.Fail(WireError.TooManyFrames);
        }
        ReadOnlyMemory<byte> signature = frames[first];
        ReadOnlyMemory<byte> header = frames[first + 1];
        ReadOnlyMemory<byte> parent = frames[first + 2];
        ReadOnlyMemory<byte> metadata = frames[first + 3];
        ReadOnlyMemory<byte> content = frames[first + 4];
        if (_signer.IsEnabled)
        {
            if (signature.IsEmpty)
            {
                return DecodeResult.Fail(WireError.MissingSignature);
            }
            if (!_signer.Verify(signature.Span, header.Span, parent.Span, metadata.Span, content.Span))
            {
                return DecodeResult.Fail(WireError.BadSignature);
            }
            if (!_history.TryAdd(signature.Span))
            {
                return DecodeResult.Fail(WireError.ReplayedSignature);
            }
        }
        if (!Utf8.IsValid(header.Span) || !MessageHeader.TryParse(header.Span, out MessageHeader? parsed))
        {
            return DecodeResult.Fail(WireError.InvalidHeader);
        }
        if (!MessageHeader.IsSupportedVersion(parsed!.Version))
        {
            return DecodeResult.Fail(WireError.UnsupportedVersion);
        }
        if (!IsJsonObject(parent.Span))
        {
            return DecodeResult.Fail(WireError.InvalidParentHeader);
        }
        if (!IsJsonObject(metadata.Span))
        {
            return DecodeResult.Fail(WireError.InvalidMetadata);
        }
        if (!IsJsonObject(content.Span))
        {
            return DecodeResult.Fail(WireError.InvalidContent);
        }
        ReadOnlyMemory<byte>[] identities = new ReadOnlyMemory<byte>[delimiter];
        for (int i = 0; i < delimiter; i++)
        {
            identities[i] = frames[i];
        }
        ReadOnlyMemory<byte>[] buffers = new ReadOnlyMemory<byte>[frames.Count - first - 5];
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = frames[first + 5 + i];
        }
        return new DecodeResult(new JupyterMessage(parsed, header, parent, metadata, content, buffers, identities), WireError.None);
    }

    /// <summary>
    /// The parent header of a refused message when it can still be read (for example when only the content
    /// made it oversize), so a notice can be shown in the cell the message belonged to.
    /// </summary>
    public static ReadOnlyMemory<byte> TryReadParentHeader(ZmqMessage frames, int maxBytes = 64 * 1024)
    {
        ArgumentNullException.ThrowIfNull(frames);
        for (int i = 0; i < frames.Count; i++)
        {
            if (frames[i].Span.SequenceEqual(Delimiter))
            {
                int parent = i + 3;
                return parent < frames.Count && frames[parent].Length <= maxBytes && IsJsonObject(frames[parent].Span)
                    ? frames[parent]
                    : ReadOnlyMemory<byte>.Empty;
            }
        }
        return ReadOnlyMemory<byte>.Empty;
    }

    /// <summary>Structural check only (one forward pass, no allocation): the bytes are one well-formed JSON object.</summary>
    internal static bool IsJsonObject(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            return false; // the reader does not check the bytes inside strings it skips
        }
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
