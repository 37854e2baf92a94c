namespace NotebookGateway.Jupyter.Messages.Control;

/// <summary>Content of <c>create_subshell_request</c> (5.5): empty.</summary>
public sealed record CreateSubshellRequest;
