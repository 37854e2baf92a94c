namespace NotebookGateway.Jupyter.Messages.Shell;

/// <summary>Content of <c>kernel_info_request</c>: empty.</summary>
public sealed record KernelInfoRequest;
