namespace NotebookGateway.Jupyter.WebSocket;

/// <summary>Why a frame from a client was refused. The caller drops the frame; the socket stays open.</summary>
public enum WebSocketDecodeError
{
    None,

    /// <summary>Not well-formed JSON, or a part that must be an object (parent_header, metadata, content) is not one,
    /// or a text frame lists buffers it cannot carry.</summary>
    InvalidJson,

    /// <summary>No header, or a null one.</summary>
    MissingHeader,

    /// <summary>The header is not an object, or lacks a non-empty <c>msg_id</c> or <c>msg_type</c>.</summary>
    InvalidHeader,

    /// <summary>The header's <c>version</c> is not 5.x.</summary>
    UnsupportedVersion,

    /// <summary>The channel is not shell, control, stdin or iopub (jupyter_server drops such frames silently).</summary>
    UnknownChannel,

    /// <summary>The offset table is truncated, not monotonic, overlaps itself or points outside the frame.</summary>
    BadOffsets,

    /// <summary>More buffers than <see cref="WebSocketCodecOptions.MaxBuffers"/>.</summary>
    TooManyBuffers,

    /// <summary>The frame is larger than <see cref="WebSocketCodecOptions.MaxFrameBytes"/>.</summary>
    Oversize,

    /// <summary>A text part (the JSON, a v1 channel or JSON part) is not valid UTF-8.</summary>
    InvalidUtf8,
}
