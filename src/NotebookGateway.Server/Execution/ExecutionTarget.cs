using NotebookGateway.Server.Channels;

namespace NotebookGateway.Server.Execution;

/// <summary>The kernel an <see cref="ExecutionMonitor"/> watches: who owns it, its current container, where notices go.</summary>
public sealed record ExecutionTarget(string Id, string Owner, string KernelName, Func<string?> ContainerId, KernelChannels Channels);
