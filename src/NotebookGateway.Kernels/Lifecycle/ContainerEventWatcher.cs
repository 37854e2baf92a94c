using Microsoft.Extensions.Logging;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Events;
using NotebookGateway.Docker.Models;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// Follows the engine's event stream for this owner's containers (<c>die</c> and <c>oom</c>). When the stream breaks
/// it resubscribes from the last event seen (the engine replays recent events), and asks the owner to reconcile in
/// case something was missed meanwhile.
/// </summary>
internal sealed partial class ContainerEventWatcher(DockerClient docker, string owner, TimeProvider timeProvider, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private DateTimeOffset _lastEvent;

    /// <summary>
    /// Returns once the engine accepted the subscription, so later container events cannot be missed. Every event goes
    /// to <paramref name="onEvent"/>; after a broken stream was re-established, <paramref name="onResubscribed"/> runs.
    /// </summary>
    public async Task StartAsync(Func<DockerEvent, Task> onEvent, Func<Task> onResubscribed, CancellationToken cancellationToken)
    {
        _lastEvent = timeProvider.GetUtcNow();
        var stream = await SubscribeAsync(null, cancellationToken).ConfigureAwait(false);
        _loop = RunAsync(stream, onEvent, onResubscribed);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private Task<DockerEventStream> SubscribeAsync(DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var filters = new DockerFilters()
            .Add("type", DockerEventTypes.Container)
            .Add("event", DockerEventActions.Die)
            .Add("event", DockerEventActions.Oom)
            .Label(SandboxLabels.Owner, owner);
        return docker.Events.SubscribeAsync(new EventsParameters { Filters = filters, Since = since }, cancellationToken);
    }

    private async Task RunAsync(DockerEventStream stream, Func<DockerEvent, Task> onEvent, Func<Task> onResubscribed)
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await using (stream.ConfigureAwait(false))
                {
                    await foreach (var item in stream.ReadAllAsync(token).ConfigureAwait(false))
                    {
                        _lastEvent = item.Timestamp;
                        try
                        {
                            await onEvent(item).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            Log.HandlerFailed(logger, item.Action ?? "?", item.Actor?.Id ?? "?", ex);
                        }
                    }
                }

                Log.StreamEnded(logger);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is DockerException or IOException or HttpRequestException)
            {
                Log.StreamFailed(logger, ex);
            }

            // Resubscribe, replaying from just before the last event seen.
            while (!token.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, token).ConfigureAwait(false);
                    stream = await SubscribeAsync(_lastEvent.AddSeconds(-1), token).ConfigureAwait(false);
                    Log.Resubscribed(logger);
                    await onResubscribed().ConfigureAwait(false);
                    break;
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is DockerException or IOException or HttpRequestException)
                {
                    Log.StreamFailed(logger, ex);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "The engine's event stream failed; resubscribing")]
        public static partial void StreamFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "The engine closed the event stream; resubscribing")]
        public static partial void StreamEnded(ILogger logger);

        [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Resubscribed to the engine's event stream")]
        public static partial void Resubscribed(ILogger logger);

        [LoggerMessage(EventId = 503, Level = LogLevel.Error, Message = "Handling container event {Action} of `{ContainerId}` failed")]
        public static partial void HandlerFailed(ILogger logger, string action, string containerId, Exception exception);
    }
}
