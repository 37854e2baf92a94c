using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Transport;

namespace NotebookGateway.Docker.Events;

/// <summary>
/// An open <c>GET /events</c> stream. It exists only once the engine has answered, so a caller can subscribe,
/// then act, and read the events its action caused. Dispose to close the connection.
/// </summary>
public sealed class DockerEventStream : IAsyncDisposable, IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _stream;
    private readonly ILogger _logger;
    private int _reading;
    private int _disposed;
    private long _count;

    internal DockerEventStream(HttpResponseMessage response, Stream stream, ILogger logger)
    {
        _response = response;
        _stream = stream;
        _logger = logger;
    }

    /// <summary>Events in the order the engine sent them; ends when the engine closes the stream (<c>until</c>).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async IAsyncEnumerable<DockerEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The stream has one reader position; two enumerations would interleave half-lines.
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("An event stream can be enumerated only once.");
        }

        await foreach (var item in JsonLinesReader.ReadAsync(_stream, DockerJsonContext.Default.DockerEvent, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            _count++;
            yield return item;
        }
    }

    public ValueTask DisposeAsync()
    {
        // Disposing the content stream aborts the chunked read; nothing here needs to await.
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stream.Dispose();
        _response.Dispose();
        var count = Interlocked.Read(ref _count);
        DockerLog.EventStreamClosed(_logger, count);
    }
}
