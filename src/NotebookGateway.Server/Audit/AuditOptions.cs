namespace NotebookGateway.Server.Audit;

/// <summary>The <c>Audit</c> section: where the execution audit log goes (empty = no audit log).</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>JSON-lines file, appended to; relative paths are against the working directory.</summary>
    public string Path { get; set; } = "";

    /// <summary>Records waiting for the writer; beyond this they are dropped (and counted) rather than slow a cell down.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    public bool Enabled => Path.Length > 0;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (QueueCapacity < 1)
        {
            errors.Add($"Audit:QueueCapacity must be at least 1 (it is {QueueCapacity}).");
        }
        if (Enabled && System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path)) is { } directory && !Directory.Exists(directory))
        {
            errors.Add($"Audit:Path {Path}: the directory {directory} does not exist.");
        }
        return errors;
    }
}
