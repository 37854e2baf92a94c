namespace NotebookGateway.Zmq.Reactor;

/// <summary>Work posted to a reactor thread. Runs there, or fails when the reactor has stopped.</summary>
internal abstract class ReactorCommand
{
    public abstract void Execute(ZmqReactor reactor);

    public abstract void Fail(Exception error);
}

/// <summary>Runs a function on the reactor thread and completes a task off it.</summary>
internal sealed class InvokeCommand<T>(Func<T> action) : ReactorCommand
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override void Execute(ZmqReactor reactor)
    {
        try
        {
            _completion.TrySetResult(action());
        }
        catch (Exception ex)
        {
            _completion.TrySetException(ex);
        }
    }

    public override void Fail(Exception error) => _completion.TrySetException(error);
}

/// <summary>Hands a new socket to the reactor. If the reactor is gone, the socket is closed instead of leaked.</summary>
internal sealed class RegisterCommand(ZmqSocket socket) : ReactorCommand
{
    public override void Execute(ZmqReactor reactor) => reactor.Register(socket);

    public override void Fail(Exception error) => socket.CloseOnReactor(error);
}
