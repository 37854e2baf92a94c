using System.Collections.Concurrent;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// The runs whose containers exist, by container id: the launcher adds and removes them, the death watcher finds the
/// run of an engine event, and the orphan sweep leaves them alone.
/// </summary>
public sealed class RunTable
{
    private readonly ConcurrentDictionary<string, KernelRun> _runs = new(StringComparer.Ordinal);

    public bool Contains(string containerId) => _runs.ContainsKey(containerId);

    internal void Add(string containerId, KernelRun run) => _runs[containerId] = run;

    internal void Remove(string containerId) => _runs.TryRemove(containerId, out _);

    internal bool TryGet(string containerId, out KernelRun run) => _runs.TryGetValue(containerId, out run!);

    /// <summary>The kernel whose current or starting run is <paramref name="containerId"/>, if it is one of ours.</summary>
    public string? KernelIdOf(string containerId) => _runs.TryGetValue(containerId, out KernelRun? run) ? run.Kernel.Id : null;

    internal IReadOnlyList<KernelRun> Snapshot() => _runs.Values.ToList();

    internal void Clear() => _runs.Clear();
}
