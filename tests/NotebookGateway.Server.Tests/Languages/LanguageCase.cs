namespace NotebookGateway.Server.Tests.Languages;

/// <summary>A cell and what must show for it: text in stdout, in stderr, in the result, or an error.</summary>
public sealed record CellCheck(string Code, string? Stdout = null, string? Stderr = null, string? Result = null, string? ErrorName = null, string? ErrorText = null);

/// <summary>
/// One kernelspec of the repository and the code that exercises it: the same behaviours in every language (stdout,
/// a result, an error, stderr, state between cells, introspection, interrupt, the sandbox seen from inside, the
/// memory, process and output limits). Compiled languages keep state in workspace files instead of variables.
/// </summary>
public sealed record LanguageCase
{
    public required string Spec { get; init; }

    /// <summary>The spec's <c>language</c>, which kernel_info's <c>language_info.name</c> must match.</summary>
    public required string Language { get; init; }

    public required CellCheck Hello { get; init; }

    /// <summary>An expression whose value the kernel shows (execute_result or display_data), where the language has one.</summary>
    public CellCheck? Expression { get; init; }

    public required CellCheck Error { get; init; }

    public required CellCheck Stderr { get; init; }

    /// <summary>Two cells: the first leaves state (a variable, or a file for compiled languages), the second shows it.</summary>
    public required (string Set, CellCheck Get) State { get; init; }

    /// <summary>A cell that reads a line of input and echoes it (the answer given is <c>bob</c>).</summary>
    public CellCheck? Input { get; init; }

    /// <summary>Code that is not finished yet (is_complete must say <c>incomplete</c>).</summary>
    public required string Incomplete { get; init; }

    /// <summary>A prefix and a match complete_request must offer for it.</summary>
    public required (string Code, string Match) Completion { get; init; }

    /// <summary>Prints <c>looping</c>, then runs forever until interrupted.</summary>
    public required string EndlessLoop { get; init; }

    /// <summary>Runs <see cref="LanguageCases.Probe"/> in a shell and shows its output.</summary>
    public required string Probe { get; init; }

    /// <summary>Allocates and touches far more than the spec's memory limit.</summary>
    public required string MemoryHog { get; init; }

    /// <summary>Runs <see cref="LanguageCases.ForkBomb"/> in a shell.</summary>
    public required string ForkBomb { get; init; }

    /// <summary>Writes a million characters to stdout.</summary>
    public required string Flood { get; init; }

    public override string ToString() => Spec;
}
