using System.Buffers.Binary;
using System.Text;
using NotebookGateway.Docker.Containers;

namespace NotebookGateway.Docker.Tests.Support;

/// <summary>Encodes frames the way the engine multiplexes stdout/stderr.</summary>
internal static class LogFrames
{
    public static byte[] Encode(params (LogStreamKind Stream, string Text)[] frames)
    {
        using var buffer = new MemoryStream();
        foreach (var (stream, text) in frames)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            var header = new byte[8];
            header[0] = (byte)stream;
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)payload.Length);
            buffer.Write(header);
            buffer.Write(payload);
        }

        return buffer.ToArray();
    }
}
