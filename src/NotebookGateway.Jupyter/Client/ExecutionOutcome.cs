using System.Text;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Jupyter.Client;

/// <summary>The reply to an <c>execute_request</c> and every iopub message it caused, in arrival order.</summary>
public sealed class ExecutionOutcome(JupyterMessage reply, IReadOnlyList<JupyterMessage> outputs)
{
    public JupyterMessage Reply { get; } = reply;

    /// <summary>iopub messages with this request as parent (status messages included).</summary>
    public IReadOnlyList<JupyterMessage> Outputs { get; } = outputs;

    public string? Status => Reply.GetContentString("status");

    public IEnumerable<JupyterMessage> OutputsOfType(string msgType) => Outputs.Where(m => m.MsgType == msgType);

    /// <summary>The concatenated text of one stream (stdout or stderr).</summary>
    public string StreamText(string name = StreamNames.Stdout)
    {
        var text = new StringBuilder();
        foreach (JupyterMessage message in OutputsOfType(MessageTypes.Stream))
        {
            if (message.GetContentString("name") == name)
            {
                text.Append(message.GetContentString("text"));
            }
        }
        return text.ToString();
    }
}

public sealed record ExecuteOptions
{
    public bool Silent { get; init; }

    public bool StoreHistory { get; init; } = true;

    public bool StopOnError { get; init; } = true;

    /// <summary>Answers <c>input()</c> prompts; without it, <c>allow_stdin</c> is false.</summary>
    public Func<string, bool, ValueTask<string>>? Input { get; init; }

    /// <summary>Sees each output as it arrives (before the execution completes).</summary>
    public Action<JupyterMessage>? OnOutput { get; init; }
}
