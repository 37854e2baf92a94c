using System.Collections.Concurrent;
using System.Globalization;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// Reads a container's CPU and memory usage and pids-limit refusals from its cgroup files (cgroup v1 with the cgroupfs or systemd driver, and
/// v2): cheaper than the engine's stats endpoint, which waits for two samples. Missing files read as null.
/// Kernels offer it per kernel through <see cref="ContainerUsage"/>.
/// </summary>
public sealed class ContainerCgroup(string root = "/sys/fs/cgroup")
{
    private readonly ConcurrentDictionary<string, Paths> _paths = new(StringComparer.Ordinal);

    /// <summary>Cumulative CPU seconds of every process in the container.</summary>
    public double? CpuSeconds(string containerId) => ForgetWhenGone(containerId, ReadCpuSeconds(containerId));

    /// <summary>Memory charged to the container's cgroup, in bytes.</summary>
    public long? MemoryBytes(string containerId)
    {
        Paths? paths = Resolve(containerId);
        return ForgetWhenGone(containerId, paths is null ? null : ReadLong(Path.Combine(paths.Memory, paths.V2 ? "memory.current" : "memory.usage_in_bytes")));
    }

    /// <summary>How often the pids limit refused a fork or thread in the container (<c>pids.events</c>: <c>max N</c>).</summary>
    public long? PidsLimitHits(string containerId) =>
        Resolve(containerId) is { } paths ? KeyedValue(Path.Combine(paths.Pids, "pids.events"), "max") : null;

    /// <summary>Processes killed by the OOM killer at the memory limit (<c>memory.events</c> or v1's <c>memory.oom_control</c>: <c>oom_kill N</c>).</summary>
    public long? OomKills(string containerId) =>
        Resolve(containerId) is { } paths ? KeyedValue(Path.Combine(paths.Memory, paths.V2 ? "memory.events" : "memory.oom_control"), "oom_kill") : null;

    /// <summary>The container's cgroup v1 memory directory (where OOM notifications are registered); null on v2 or when gone.</summary>
    public string? MemoryV1Directory(string containerId) => Resolve(containerId) is { V2: false } paths ? paths.Memory : null;

    /// <summary>Processes and threads in the container now (<c>pids.current</c>).</summary>
    public long? Tasks(string containerId) =>
        Resolve(containerId) is { } paths ? ReadLong(Path.Combine(paths.Pids, "pids.current")) : null;

    /// <summary>The number after <c>key </c> in a flat-keyed cgroup file.</summary>
    private static long? KeyedValue(string file, string key)
    {
        foreach (string line in ReadLines(file))
        {
            if (line.Length > key.Length && line.StartsWith(key, StringComparison.Ordinal) && line[key.Length] == ' '
                && long.TryParse(line.AsSpan(key.Length + 1), CultureInfo.InvariantCulture, out long value))
            {
                return value;
            }
        }
        return null;
    }

    private double? ReadCpuSeconds(string containerId)
    {
        Paths? paths = Resolve(containerId);
        if (paths is null)
        {
            return null;
        }
        if (paths.V2)
        {
            // cpu.stat: "usage_usec N"
            foreach (string line in ReadLines(Path.Combine(paths.Cpu, "cpu.stat")))
            {
                if (line.StartsWith("usage_usec ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(11), CultureInfo.InvariantCulture, out long usec))
                {
                    return usec / 1e6;
                }
            }
            return null;
        }
        return ReadLong(Path.Combine(paths.Cpu, "cpuacct.usage")) is { } ns ? ns / 1e9 : null;
    }

    /// <summary>A container whose files are gone (removed after a restart or death) leaves the cache.</summary>
    private T? ForgetWhenGone<T>(string containerId, T? value) where T : struct
    {
        if (value is null)
        {
            _paths.TryRemove(containerId, out _);
        }
        return value;
    }

    private Paths? Resolve(string containerId)
    {
        if (_paths.TryGetValue(containerId, out Paths? known))
        {
            return known;
        }
        Paths? found = Find(containerId);
        if (found is not null)
        {
            _paths[containerId] = found;
        }
        return found;
    }

    private Paths? Find(string id)
    {
        // v1: one hierarchy per controller.
        foreach (string group in (string[])[$"docker/{id}", $"system.slice/docker-{id}.scope", $"libpod_parent/libpod-{id}", $"machine.slice/libpod-{id}.scope"])
        {
            string cpu = Path.Combine(root, "cpuacct", group);
            if (File.Exists(Path.Combine(cpu, "cpuacct.usage")))
            {
                return new Paths(cpu, Path.Combine(root, "memory", group), Path.Combine(root, "pids", group), V2: false);
            }
            string unified = Path.Combine(root, group);
            if (File.Exists(Path.Combine(unified, "cpu.stat")))
            {
                return new Paths(unified, unified, unified, V2: true);
            }
        }
        return null;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static long? ReadLong(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).AsSpan().Trim(), CultureInfo.InvariantCulture, out long value) ? value : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the container is gone
        }
    }

    private sealed record Paths(string Cpu, string Memory, string Pids, bool V2);
}
