namespace NotebookGateway.Jupyter.Messages;

/// <summary>Values of <c>is_complete_reply.status</c> besides <see cref="ReplyStatus.Error"/>.</summary>
public static class IsCompleteStatuses
{
    /// <summary>The code is ready to be executed.</summary>
    public const string Complete = "complete";

    /// <summary>The code needs more lines; <c>indent</c> hints at the next line's indentation.</summary>
    public const string Incomplete = "incomplete";

    /// <summary>The code is invalid and will fail when executed.</summary>
    public const string Invalid = "invalid";

    /// <summary>The kernel cannot tell.</summary>
    public const string Unknown = "unknown";
}
