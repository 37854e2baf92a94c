namespace NotebookGateway.Zmq.Reactor;

/// <summary>
/// One message waiting to be sent. Its state decides the race between the reactor and cancellation:
/// a message is either claimed by the reactor (and then sent or failed) or cancelled (and never sent).
/// </summary>
internal sealed class PendingSend : ReactorCommand
{
    private const int Waiting = 0;
    private const int Claimed = 1;
    private const int Cancelled = 2;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _registration;
    private int _state;

    public PendingSend(ZmqSocket socket, ZmqMessage message, CancellationToken cancellationToken)
    {
        Socket = socket;
        Message = message;
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingSend)state!).TryCancel(token), this);
        }
    }

    public ZmqSocket Socket { get; }

    public ZmqMessage Message { get; }

    public Task Task => _completion.Task;

    public bool IsCancelled => Volatile.Read(ref _state) == Cancelled;

    /// <summary>Reactor: take the message for sending; false when it was cancelled.</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Waiting) == Waiting;

    /// <summary>Reactor: the socket could not take it yet (high-water mark); cancellation may win again.</summary>
    public void Release() => Volatile.Write(ref _state, Waiting);

    public void Complete()
    {
        _registration.Dispose();
        _completion.TrySetResult();
    }

    public override void Fail(Exception error)
    {
        _registration.Dispose();
        _completion.TrySetException(error);
    }

    public override void Execute(ZmqReactor reactor) => Socket.EnqueueSend(this);

    private void TryCancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Waiting) == Waiting)
        {
            _completion.TrySetCanceled(token);
        }
    }
}
