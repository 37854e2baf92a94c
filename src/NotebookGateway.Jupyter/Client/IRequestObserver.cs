using NotebookGateway.Jupyter.Envelope;

namespace NotebookGateway.Jupyter.Client;

/// <summary>
/// Receives what a kernel sends in answer to one request besides its reply: iopub messages whose parent
/// is the request, and the request's <c>input_request</c>s (stdin goes only to the requester).
/// Called on a pump task, never on the reactor thread; must not block.
/// </summary>
public interface IRequestObserver
{
    void OnIOPub(JupyterMessage message);

    void OnStdin(JupyterMessage message);
}
