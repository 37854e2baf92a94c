namespace NotebookGateway.Jupyter.Messages.Control;

/// <summary>Content of <c>list_subshell_request</c> (5.5): empty.</summary>
public sealed record ListSubshellRequest;
