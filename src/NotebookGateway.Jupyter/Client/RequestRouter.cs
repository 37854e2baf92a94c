using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;

namespace NotebookGateway.Jupyter.Client;

/// <summary>
/// Matches what a kernel sends to the requests that caused it, by the parent's msg_id: replies complete their request;
/// iopub goes to every listener and to the observer of its request until the kernel is idle again; stdin goes only to
/// the observer of the request that asked. A reply counts once: a second one for the same request, or one for a request
/// that is not waiting, goes to <c>unmatched</c> and nowhere else.
/// </summary>
internal sealed partial class RequestRouter(KernelClientOptions options, ILogger logger,
    Action<MessageChannel, JupyterMessage> unmatched, CancellationToken stopping)
{
    private readonly ConcurrentDictionary<string, PendingRequest> _pending = new(StringComparer.Ordinal);
    /// <summary>Requests given up on (cancelled, timed out): a late reply to one is expected, not forged.</summary>
    private readonly RecentSet<string> _abandoned = new(256);
    private readonly Lock _listenersLock = new();
    private Action<JupyterMessage>[] _iopubListeners = [];

    /// <summary>Requests waiting for a reply or for their idle status.</summary>
    public int Count => _pending.Count;

    /// <exception cref="InvalidOperationException">A request with the same msg_id is pending.</exception>
    public PendingRequest Add(string msgId, IRequestObserver? observer)
    {
        var pending = new PendingRequest(msgId, observer);
        if (!_pending.TryAdd(msgId, pending))
        {
            throw new InvalidOperationException($"A request with msg_id {msgId} is already pending.");
        }
        return pending;
    }

    /// <summary>Gives up on a request: its reply, if it still comes, is dropped as late rather than forged.</summary>
    public void Remove(string msgId)
    {
        _abandoned.Add(msgId);
        _pending.TryRemove(msgId, out _);
    }

    public PendingRequest? Find(string msgId) => _pending.GetValueOrDefault(msgId);

    /// <summary>Listens to every iopub message (fan-out). The listener runs on the pump and must not block.</summary>
    public IDisposable SubscribeIOPub(Action<JupyterMessage> listener)
    {
        lock (_listenersLock)
        {
            _iopubListeners = [.. _iopubListeners, listener];
        }
        return new Unsubscriber(this, listener);
    }

    public void Dispatch(MessageChannel channel, JupyterMessage message)
    {
        string? parentId = message.ParentMsgId;
        PendingRequest? pending = parentId is null ? null : _pending.GetValueOrDefault(parentId);
        switch (channel)
        {
            case MessageChannel.Shell:
            case MessageChannel.Control:
                if (pending is null || !pending.Reply.TrySetResult(message))
                {
                    Log.UnroutedReply(logger, message.MsgType, parentId);
                    if (pending is not null || parentId is null || !_abandoned.Contains(parentId))
                    {
                        unmatched(channel, message);
                    }
                    return;
                }
                if (pending.Observer is null || pending.Idle.Task.IsCompleted)
                {
                    _pending.TryRemove(pending.MsgId, out _);
                }
                else
                {
                    ScheduleObserverExpiry(pending);
                }
                break;
            case MessageChannel.Stdin:
                if (pending?.Observer is null || pending.Reply.Task.IsCompleted)
                {
                    Log.UnroutedStdin(logger, message.MsgType, parentId);
                    unmatched(channel, message);
                    return;
                }
                pending.Observer.OnStdin(message);
                break;
            case MessageChannel.IOPub:
                foreach (Action<JupyterMessage> listener in Volatile.Read(ref _iopubListeners))
                {
                    listener(message);
                }
                if (pending is null)
                {
                    return;
                }
                pending.Observer?.OnIOPub(message);
                if (message.MsgType == MessageTypes.Status && message.GetContentString("execution_state") == ExecutionStates.Idle)
                {
                    pending.Idle.TrySetResult();
                    if (pending.Reply.Task.IsCompleted)
                    {
                        _pending.TryRemove(pending.MsgId, out _);
                    }
                }
                break;
        }
    }

    /// <summary>Fails every pending request (the kernel died, or the client is closing).</summary>
    public void FailAll(Exception error)
    {
        foreach (PendingRequest pending in _pending.Values)
        {
            pending.Reply.TrySetException(error);
            pending.Idle.TrySetException(error);
            _ = pending.Idle.Task.Exception; // observed: nobody may be waiting for it
        }
        _pending.Clear();
    }

    private void ScheduleObserverExpiry(PendingRequest pending)
    {
        // If the idle status never comes (a lost message), do not keep the observer forever.
        _ = Task.Delay(options.ObserverIdleTimeout, options.TimeProvider, stopping).ContinueWith(
            _ =>
            {
                if (_pending.TryRemove(new KeyValuePair<string, PendingRequest>(pending.MsgId, pending)))
                {
                    pending.Idle.TrySetResult();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Unsubscribe(Action<JupyterMessage> listener)
    {
        lock (_listenersLock)
        {
            _iopubListeners = _iopubListeners.Where(l => l != listener).ToArray();
        }
    }

    private sealed class Unsubscriber(RequestRouter router, Action<JupyterMessage> listener) : IDisposable
    {
        public void Dispose() => router.Unsubscribe(listener);
    }

    /// <summary>One request in flight: its reply, and the idle status that ends its output.</summary>
    internal sealed class PendingRequest(string msgId, IRequestObserver? observer)
    {
        public string MsgId { get; } = msgId;

        public IRequestObserver? Observer { get; } = observer;

        public TaskCompletionSource<JupyterMessage> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Idle { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "Reply `{MsgType}` to unknown request `{ParentId}` dropped")]
        public static partial void UnroutedReply(ILogger logger, string msgType, string? parentId);

        [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Stdin `{MsgType}` for unknown request `{ParentId}` dropped")]
        public static partial void UnroutedStdin(ILogger logger, string msgType, string? parentId);
    }
}
