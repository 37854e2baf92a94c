using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Execution;

/// <summary>
/// The kernel an <see cref="ExecutionMonitor"/> watches: who owns it, its container's usage, where notices go, and its
/// kernelspec's own cell time limit (the envelope's <c>cell_timeout_seconds</c>; 0 = none), which can only tighten the
/// gateway's.
/// </summary>
public sealed record ExecutionTarget(string Id, string Owner, string KernelName, ContainerUsage Usage, KernelChannels Channels, double SpecCellTimeoutSeconds = 0);
