using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>
/// The three websocket encodings of a Jupyter message (reference §3), written from the protocol description so
/// the gateway's own codec is checked against an independent one:
/// JSON text frames; the default protocol's binary frame for messages with buffers (big-endian uint32 count and
/// offsets, then the JSON, then the buffers); and <c>v1.kernel.websocket.jupyter.org</c> (little-endian uint64 count
/// and offsets, then channel, header, parent_header, metadata, content and buffers).
/// </summary>
public static class WireFormats
{
    public const string V1Protocol = "v1.kernel.websocket.jupyter.org";

    private static readonly string[] V1Parts = ["header", "parent_header", "metadata", "content"];

    public static byte[] EncodeJson(JsonObject message) => Encoding.UTF8.GetBytes(message.ToJsonString());

    /// <summary>Default-protocol binary frame: uint32 BE n = 1 + buffers, n offsets, JSON (buffers removed), buffers.</summary>
    public static byte[] EncodeLegacyBinary(JsonObject message, IReadOnlyList<byte[]> buffers)
    {
        var json = (JsonObject)message.DeepClone();
        json.Remove("buffers");
        byte[] body = Encoding.UTF8.GetBytes(json.ToJsonString());
        int n = 1 + buffers.Count;
        int header = 4 * (n + 1);
        int total = header + body.Length + buffers.Sum(b => b.Length);
        byte[] frame = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)n);
        int offset = header;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)offset);
        body.CopyTo(frame, offset);
        offset += body.Length;
        for (int i = 0; i < buffers.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4 * (i + 2)), (uint)offset);
            buffers[i].CopyTo(frame, offset);
            offset += buffers[i].Length;
        }
        return frame;
    }

    public static DecodedMessage DecodeLegacyBinary(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 8)
        {
            throw new FormatException($"binary frame of {frame.Length} bytes is shorter than one count and one offset");
        }
        uint n = BinaryPrimitives.ReadUInt32BigEndian(frame);
        if (n < 1 || 4L * (n + 1) > frame.Length)
        {
            throw new FormatException($"binary frame claims {n} parts in {frame.Length} bytes");
        }
        var offsets = new int[n + 1];
        for (int i = 0; i < n; i++)
        {
            offsets[i] = checked((int)BinaryPrimitives.ReadUInt32BigEndian(frame[(4 * (i + 1))..]));
        }
        offsets[n] = frame.Length;
        if (offsets[0] != 4 * (n + 1))
        {
            throw new FormatException($"first offset is {offsets[0]}, expected {4 * (n + 1)}");
        }
        CheckAscending(offsets, frame.Length);
        var message = (JsonObject?)JsonNode.Parse(frame[offsets[0]..offsets[1]])
                      ?? throw new FormatException("binary frame JSON is null");
        var buffers = new List<byte[]>();
        for (int i = 1; i < n; i++)
        {
            buffers.Add(frame[offsets[i]..offsets[i + 1]].ToArray());
        }
        return new DecodedMessage(message, buffers, FirstOffset: offsets[0], OffsetCount: (int)n);
    }

    /// <summary>v1 frame from a message object (its <c>channel</c> member names the channel).</summary>
    public static byte[] EncodeV1(JsonObject message, IReadOnlyList<byte[]>? buffers = null)
    {
        string channel = message["channel"] is JsonValue value && value.TryGetValue(out string? text) ? text : message["channel"]?.ToJsonString() ?? "shell";
        var parts = new List<byte[]> { Encoding.UTF8.GetBytes(channel) };
        foreach (string name in V1Parts)
        {
            parts.Add(Encoding.UTF8.GetBytes(message.ContainsKey(name) ? message[name]?.ToJsonString() ?? "null" : "{}"));
        }
        parts.AddRange(buffers ?? []);
        return EncodeV1Parts(parts);
    }

    /// <summary>v1 layout of arbitrary parts: uint64 LE count (= parts + 1), then the offsets of each part and of the end.</summary>
    public static byte[] EncodeV1Parts(IReadOnlyList<byte[]> parts)
    {
        int count = parts.Count + 1;
        int header = 8 * (count + 1);
        byte[] frame = new byte[header + parts.Sum(p => p.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, (ulong)count);
        int offset = header;
        for (int i = 0; i < parts.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 * (i + 1)), (ulong)offset);
            parts[i].CopyTo(frame, offset);
            offset += parts[i].Length;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 * count), (ulong)offset);
        return frame;
    }

    public static DecodedMessage DecodeV1(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 8)
        {
            throw new FormatException($"v1 frame of {frame.Length} bytes has no offset count");
        }
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(frame);
        if (count < 6 || 8 * (count + 1) > (ulong)frame.Length)
        {
            throw new FormatException($"v1 frame claims {count} offsets in {frame.Length} bytes (at least 6: channel, four JSON parts, end)");
        }
        var offsets = new int[count];
        for (int i = 0; i < (int)count; i++)
        {
            offsets[i] = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(frame[(8 * (i + 1))..]));
        }
        if (offsets[0] != 8 * ((int)count + 1))
        {
            throw new FormatException($"v1 first offset is {offsets[0]}, expected {8 * ((int)count + 1)}");
        }
        if (offsets[^1] != frame.Length)
        {
            throw new FormatException($"v1 last offset is {offsets[^1]}, the frame has {frame.Length} bytes");
        }
        CheckAscending(offsets, frame.Length);
        var message = new JsonObject { ["channel"] = Encoding.UTF8.GetString(frame[offsets[0]..offsets[1]]) };
        for (int i = 0; i < V1Parts.Length; i++)
        {
            message[V1Parts[i]] = JsonNode.Parse(frame[offsets[i + 1]..offsets[i + 2]])
                                  ?? throw new FormatException($"v1 {V1Parts[i]} is null");
        }
        var buffers = new List<byte[]>();
        for (int i = 5; i < (int)count - 1; i++)
        {
            buffers.Add(frame[offsets[i]..offsets[i + 1]].ToArray());
        }
        return new DecodedMessage(message, buffers, FirstOffset: offsets[0], OffsetCount: (int)count);
    }

    private static void CheckAscending(int[] offsets, int length)
    {
        for (int i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] < offsets[i - 1] || offsets[i] > length)
            {
                throw new FormatException($"offsets are not ascending within the frame: [{string.Join(", ", offsets)}] of {length} bytes");
            }
        }
    }
}

/// <param name="FirstOffset">Where the first part starts (56 for a v1 frame without buffers).</param>
/// <param name="OffsetCount">The frame's declared count (v1: parts + 1; default binary: 1 + buffers).</param>
public sealed record DecodedMessage(JsonObject Message, IReadOnlyList<byte[]> Buffers, int FirstOffset, int OffsetCount);
