using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Stdin;

namespace NotebookGateway.Jupyter.Client;

/// <summary>Collects a cell's outputs for <see cref="KernelClient.ExecuteAsync"/> and answers its input requests.</summary>
internal sealed class ExecutionCollector(KernelClient client, ExecuteOptions options, CancellationToken cancellationToken) : IRequestObserver
{
    private readonly List<JupyterMessage> _outputs = [];
    private readonly Lock _lock = new();
    private Task _inputs = Task.CompletedTask;

    /// <summary>Completes when every input request so far has been answered.</summary>
    public Task InputsAnswered
    {
        get
        {
            lock (_lock)
            {
                return _inputs;
            }
        }
    }

    public IReadOnlyList<JupyterMessage> Snapshot()
    {
        lock (_lock)
        {
            return [.. _outputs];
        }
    }

    public void OnIOPub(JupyterMessage message)
    {
        lock (_lock)
        {
            _outputs.Add(message);
        }
        options.OnOutput?.Invoke(message);
    }

    public void OnStdin(JupyterMessage message)
    {
        if (message.MsgType != MessageTypes.InputRequest || options.Input is null)
        {
            return;
        }
        lock (_lock)
        {
            _inputs = _inputs.ContinueWith(_ => AnswerAsync(message), cancellationToken, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    private async Task AnswerAsync(JupyterMessage inputRequest)
    {
        InputRequest? request = inputRequest.ReadContent(JupyterMessageJsonContext.Default.InputRequest);
        string value = await options.Input!(request?.Prompt ?? "", request?.Password ?? false).ConfigureAwait(false);
        JupyterMessage reply = client.CreateMessage(new InputReply { Value = value }, inputRequest);
        await client.SendAsync(reply, MessageChannel.Stdin, cancellationToken).ConfigureAwait(false);
    }
}
