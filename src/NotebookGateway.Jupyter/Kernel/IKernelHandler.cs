namespace NotebookGateway.Jupyter.Kernel;

/// <summary>
/// The language-specific part of a kernel built on <see cref="KernelServer"/>. The server publishes
/// busy/idle around each request, answers shutdown, and turns <c>interrupt_request</c> into cancellation
/// of the running request's token.
/// </summary>
public interface IKernelHandler
{
    /// <summary>Handles one shell or control request; returns its reply, or null to send none.</summary>
    ValueTask<KernelReply?> HandleAsync(KernelRequestContext context, CancellationToken cancellationToken);
}

/// <summary>A reply's type and content JSON.</summary>
public sealed record KernelReply(string MsgType, ReadOnlyMemory<byte> Content)
{
    public static KernelReply From<T>(T content) => new(
        Messages.MessageContentTypes.MessageTypeOf(typeof(T)) ?? throw new ArgumentException($"{typeof(T).Name} is not a message content type.", nameof(content)),
        Messages.MessageContentTypes.Serialize(content));
}
