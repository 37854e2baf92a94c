using NotebookGateway.Jupyter.Envelope;

namespace NotebookGateway.Jupyter.Wire;

public readonly record struct DecodeResult(JupyterMessage? Message, WireError Error)
{
    public bool Success => Message is not null;

    public static DecodeResult Fail(WireError error) => new(null, error);
}
