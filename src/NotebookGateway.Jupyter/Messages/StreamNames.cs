namespace NotebookGateway.Jupyter.Messages;

/// <summary>Values of <c>stream.name</c>.</summary>
public static class StreamNames
{
    /// <summary>Standard output.</summary>
    public const string Stdout = "stdout";

    /// <summary>Standard error.</summary>
    public const string Stderr = "stderr";
}
