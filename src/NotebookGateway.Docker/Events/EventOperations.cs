using System.Runtime.CompilerServices;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Transport;

namespace NotebookGateway.Docker.Events;

/// <summary>The <c>/events</c> endpoint: how the gateway learns that a kernel's container died or hit its memory limit.</summary>
public sealed class EventOperations
{
    private readonly DockerTransport _transport;

    internal EventOperations(DockerTransport transport) => _transport = transport;

    /// <summary>Opens the stream and returns once the engine has accepted it.</summary>
    public async Task<DockerEventStream> SubscribeAsync(EventsParameters? parameters = null, CancellationToken cancellationToken = default)
    {
        parameters ??= new EventsParameters();
        var query = new QueryString()
            .Add("since", parameters.Since is { } since ? QueryString.FormatTimestamp(since) : null)
            .Add("until", parameters.Until is { } until ? QueryString.FormatTimestamp(until) : null)
            .AddFilters(parameters.Filters);
        var response = await _transport.OpenStreamAsync(HttpMethod.Get, "/events", query, null, "stream events", cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            DockerLog.EventStreamOpened(_transport.Logger, parameters.Filters);
            return new DockerEventStream(response, stream, _transport.Logger);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Subscribes and yields events until <paramref name="cancellationToken"/> fires (then
    /// <see cref="OperationCanceledException"/>) or the stream ends; the connection is closed either way.
    /// </summary>
    public async IAsyncEnumerable<DockerEvent> StreamAsync(
        EventsParameters? parameters = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var subscription = await SubscribeAsync(parameters, cancellationToken).ConfigureAwait(false);
        await using (subscription.ConfigureAwait(false))
        {
            await foreach (var item in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
    }
}
