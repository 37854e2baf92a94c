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
        await _transport.EnsureNegotiatedAsync(cancellationToken).ConfigureAwait(false);
        var query = new QueryString()
            .Add("since", parameters.Since is { } since ? QueryString.FormatTimestamp(since) : null)
            .Add("until", parameters.Until is { } until ? QueryString.FormatTimestamp(until) : null)
            .AddFilters(_transport.IsPodman ? ForPodman(parameters.Filters) : parameters.Filters);
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
    /// Podman reports a container's death as <c>die</c> but filters on its own name for it, <c>died</c>: a filter for
    /// <c>die</c> alone never matches there.
    /// </summary>
    private static DockerFilters? ForPodman(DockerFilters? filters)
    {
        if (filters?.Values.TryGetValue("event", out var events) != true || !events!.Contains(DockerEventActions.Die))
        {
            return filters;
        }

        var copy = new DockerFilters();
        foreach (var (name, values) in filters.Values)
        {
            foreach (var value in values)
            {
                copy.Add(name, value);
            }
        }

        return copy.Add("event", "died");
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
