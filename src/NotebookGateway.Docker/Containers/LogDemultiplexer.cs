using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace NotebookGateway.Docker.Containers;

/// <summary>
/// Splits the engine's multiplexed stream (containers without a TTY) into stdout/stderr frames. Each frame is an
/// 8-byte header, <c>[stream, 0, 0, 0, size (uint32 big-endian)]</c>, then <c>size</c> bytes of payload.
/// </summary>
public static class LogDemultiplexer
{
    public const int HeaderSize = 8;

    /// <summary>Frames larger than this are treated as a corrupt stream rather than allocated.</summary>
    public const int DefaultMaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>Yields each frame; a frame split across any number of reads is reassembled.</summary>
    /// <exception cref="DockerProtocolException">The stream ended inside a frame or a header is not a valid frame header.</exception>
    public static async IAsyncEnumerable<LogFrame> ReadFramesAsync(
        Stream stream,
        int maxFrameBytes = DefaultMaxFrameBytes,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[HeaderSize];
        while (true)
        {
            var got = await stream.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (got == 0)
            {
                yield break;
            }

            if (got < HeaderSize)
            {
                throw new DockerProtocolException($"Log stream ended inside a frame header ({got} of {HeaderSize} bytes).");
            }

            // A raw (TTY) stream read as multiplexed shows up here: the "stream" byte is text.
            if (header[0] > (byte)LogStreamKind.System || header[1] != 0 || header[2] != 0 || header[3] != 0)
            {
                throw new DockerProtocolException(
                    $"Not a multiplexed log frame header (bytes {Convert.ToHexString(header)}); was the container created with a TTY?");
            }

            var size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
            if (size > (uint)maxFrameBytes)
            {
                throw new DockerProtocolException($"Log frame of {size} bytes exceeds the limit of {maxFrameBytes}.");
            }

            var payload = new byte[size];
            if (size > 0)
            {
                var read = await stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (read < payload.Length)
                {
                    throw new DockerProtocolException($"Log stream ended inside a frame ({read} of {size} payload bytes).");
                }
            }

            yield return new LogFrame((LogStreamKind)header[0], payload);
        }
    }

    /// <summary>A TTY container's output has no frames: every chunk is stdout.</summary>
    public static async IAsyncEnumerable<LogFrame> ReadRawAsync(
        Stream stream,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            yield return new LogFrame(LogStreamKind.Stdout, buffer.AsSpan(0, read).ToArray());
        }
    }
}
