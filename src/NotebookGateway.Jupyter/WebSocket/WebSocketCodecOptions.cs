namespace NotebookGateway.Jupyter.WebSocket;

/// <summary>Bounds on what <see cref="WebSocketMessageCodec.Decode"/> accepts from a client.</summary>
public sealed record WebSocketCodecOptions
{
    /// <summary>
    /// Largest frame decoded. The receive loop should enforce the same bound while assembling fragments, so an
    /// oversize message is never buffered in full.
    /// </summary>
    public long MaxFrameBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most binary buffers in one message (as <see cref="Wire.WireLimits.MaxBuffers"/> on the ZMQ side).</summary>
    public int MaxBuffers { get; init; } = 64;

    /// <summary>
    /// Accept headers without <c>version</c> (or with an empty one), as jupyter_server does; a present version
    /// must still be 5.x. Every client we know (@jupyterlab/services, jupyter_client) sends one.
    /// </summary>
    public bool AllowMissingVersion { get; init; } = true;
}
