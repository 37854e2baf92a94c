namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>connect_request</c> (deprecated since 5.1): empty.</summary>
public sealed record ConnectRequest;
