using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace NotebookGateway.Docker.Transport;

/// <summary>
/// Reads a stream of newline-delimited JSON values (events, pull/import progress). Values are yielded as soon as
/// their line is complete, however the bytes were split across reads, so a live stream is never held back.
/// </summary>
internal static class JsonLinesReader
{
    public const int DefaultMaxLineBytes = 1024 * 1024;

    public static async IAsyncEnumerable<T> ReadAsync<T>(
        Stream stream,
        JsonTypeInfo<T> typeInfo,
        int maxLineBytes = DefaultMaxLineBytes,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(typeInfo);

        var buffer = new byte[Math.Min(maxLineBytes, 16 * 1024)];
        var start = 0;
        var end = 0;
        while (true)
        {
            var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = new ReadOnlyMemory<byte>(buffer, start, newline);
                start += newline + 1;
                if (TryParse(line.Span, typeInfo, out var value))
                {
                    yield return value;
                }

                continue;
            }

            if (end - start >= maxLineBytes)
            {
                throw new DockerProtocolException($"A JSON line from the engine exceeded {maxLineBytes} bytes.");
            }

            // Make room: slide the partial line to the front, grow only if the line itself is long.
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, Math.Min(maxLineBytes + 1, buffer.Length * 2));
            }

            var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                // The last value may lack its newline.
                if (TryParse(buffer.AsSpan(start, end - start), typeInfo, out var last))
                {
                    yield return last;
                }

                yield break;
            }

            end += read;
        }
    }

    private static bool TryParse<T>(ReadOnlySpan<byte> line, JsonTypeInfo<T> typeInfo, out T value)
    {
        line = line.Trim(" \t\r\n"u8);
        value = default!;
        if (line.IsEmpty)
        {
            return false;
        }

        try
        {
            var parsed = JsonSerializer.Deserialize(line, typeInfo);
            if (parsed is null)
            {
                return false;
            }

            value = parsed;
            return true;
        }
        catch (JsonException ex)
        {
            throw new DockerProtocolException($"The engine sent a line that is not a JSON {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}
