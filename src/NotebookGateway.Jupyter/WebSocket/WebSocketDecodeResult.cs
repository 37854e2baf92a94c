using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Jupyter.WebSocket;

/// <summary>A decoded client frame: the message and the channel it is addressed to, or the reason it was refused.</summary>
public readonly record struct WebSocketDecodeResult(JupyterMessage? Message, MessageChannel Channel, WebSocketDecodeError Error)
{
    public bool Success => Message is not null;

    public static WebSocketDecodeResult Fail(WebSocketDecodeError error) => new(null, default, error);
}
