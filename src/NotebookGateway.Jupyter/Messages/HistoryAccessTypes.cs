namespace NotebookGateway.Jupyter.Messages;

/// <summary>Values of <c>history_request.hist_access_type</c>.</summary>
public static class HistoryAccessTypes
{
    /// <summary>A range of cells of one session (<c>session</c>, <c>start</c>, <c>stop</c>).</summary>
    public const string Range = "range";

    /// <summary>The last <c>n</c> cells.</summary>
    public const string Tail = "tail";

    /// <summary>The last <c>n</c> cells matching the glob <c>pattern</c>.</summary>
    public const string Search = "search";
}
