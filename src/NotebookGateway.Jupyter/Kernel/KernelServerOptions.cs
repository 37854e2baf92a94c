using NotebookGateway.Jupyter.Wire;

namespace NotebookGateway.Jupyter.Kernel;

public sealed record KernelServerOptions
{
    public string Session { get; init; } = Guid.NewGuid().ToString("N");

    public string Username { get; init; } = "kernel";

    public WireLimits Limits { get; init; } = new();
}
