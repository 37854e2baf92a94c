namespace NotebookGateway.Jupyter.Messages;

/// <summary>Values of the <c>status</c> field carried by every <c>*_reply</c>.</summary>
public static class ReplyStatus
{
    /// <summary>The request succeeded; the reply carries its normal content.</summary>
    public const string Ok = "ok";

    /// <summary>The request failed; the reply carries <c>ename</c>, <c>evalue</c> and <c>traceback</c>.</summary>
    public const string Error = "error";

    /// <summary>The request was not run (deprecated since 5.1 in favour of <see cref="Error"/>).</summary>
    public const string Aborted = "aborted";
}
