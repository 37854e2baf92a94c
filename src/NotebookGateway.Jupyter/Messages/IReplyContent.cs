namespace NotebookGateway.Jupyter.Messages;

/// <summary>
/// The fields every <c>*_reply</c> content shares: a <c>status</c> and, when it is <see cref="ReplyStatus.Error"/>,
/// the error description. On an error reply the success-only members of the reply are absent (null).
/// </summary>
public interface IReplyContent
{
    /// <summary><c>status</c>: usually one of <see cref="ReplyStatus"/> (see also <see cref="IsCompleteStatuses"/>).</summary>
    string Status { get; }

    /// <summary><c>ename</c>: the exception name when <see cref="Status"/> is <c>error</c>.</summary>
    string? EName { get; }

    /// <summary><c>evalue</c>: the exception value when <see cref="Status"/> is <c>error</c>.</summary>
    string? EValue { get; }

    /// <summary><c>traceback</c>: the traceback frames when <see cref="Status"/> is <c>error</c>.</summary>
    IReadOnlyList<string>? Traceback { get; }
}
