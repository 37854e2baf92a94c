namespace NotebookGateway.Jupyter.Messages.Control;

/// <summary>Content of <c>interrupt_request</c> (5.3, for kernels with <c>interrupt_mode: message</c>): empty.</summary>
public sealed record InterruptRequest;
