using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.IOPub;

namespace NotebookGateway.Jupyter.Kernel;

/// <summary>One request being handled: publish side effects with it as parent, or ask the requester for input.</summary>
public sealed class KernelRequestContext
{
    private readonly KernelServer _server;

    internal KernelRequestContext(KernelServer server, JupyterMessage request, MessageChannel channel)
    {
        _server = server;
        Request = request;
        Channel = channel;
    }

    public JupyterMessage Request { get; }

    public MessageChannel Channel { get; }

    public Task PublishAsync(string msgType, ReadOnlyMemory<byte> content) => _server.PublishAsync(msgType, content, Request);

    public Task PublishAsync<T>(T content) =>
        PublishAsync(MessageContentTypes.MessageTypeOf(typeof(T)) ?? throw new ArgumentException($"{typeof(T).Name} is not a message content type.", nameof(content)), MessageContentTypes.Serialize(content));

    public Task StreamAsync(string name, string text) => PublishAsync(new StreamOutput { Name = name, Text = text });

    /// <summary>Sends <c>input_request</c> to the requester's stdin socket and waits for the answer.</summary>
    public Task<string> InputAsync(string prompt, bool password = false, CancellationToken cancellationToken = default) =>
        _server.RequestInputAsync(Request, prompt, password, cancellationToken);
}
