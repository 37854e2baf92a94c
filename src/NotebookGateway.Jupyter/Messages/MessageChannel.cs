namespace NotebookGateway.Jupyter.Messages;

/// <summary>The five sockets of a Jupyter kernel.</summary>
public enum MessageChannel
{
    /// <summary>Requests and replies (ROUTER on the kernel side).</summary>
    Shell,

    /// <summary>Out-of-band requests such as shutdown, interrupt and debug (ROUTER on the kernel side).</summary>
    Control,

    /// <summary>Broadcast of side effects (PUB, XPUB since 5.5, on the kernel side).</summary>
    IOPub,

    /// <summary>Kernel-initiated input requests (ROUTER on the kernel side).</summary>
    Stdin,

    /// <summary>Raw-bytes echo for liveness (REP on the kernel side); carries no Jupyter messages.</summary>
    Heartbeat,
}
