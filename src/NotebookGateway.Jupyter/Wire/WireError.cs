namespace NotebookGateway.Jupyter.Wire;

/// <summary>Why a multipart message was refused. Refused messages are dropped and counted, never delivered.</summary>
public enum WireError
{
    None,
    MissingDelimiter,
    TooFewFrames,
    TooManyFrames,
    TooManyIdentities,
    Oversize,
    MissingSignature,
    BadSignature,
    ReplayedSignature,
    InvalidHeader,
    UnsupportedVersion,
    InvalidParentHeader,
    InvalidMetadata,
    InvalidContent,
}
