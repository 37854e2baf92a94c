namespace NotebookGateway.Kernels.Options;

/// <summary>A resolved resource envelope: gateway defaults with a kernelspec's overrides applied.</summary>
public sealed record SandboxEnvelope
{
    public const long MiB = 1024 * 1024;

    public int MemoryMiB { get; init; }

    public double Cpus { get; init; }

    public int Pids { get; init; }

    public int Nofile { get; init; }

    public int TmpMiB { get; init; }

    /// <summary>Programs may be run from /tmp (compiled-language kernels build there); otherwise it is <c>noexec</c>. The
    /// workspace allows exec either way, so this adds no capability, only a place outside the user's files.</summary>
    public bool TmpExec { get; init; }

    public int ShmMiB { get; init; }

    public int WorkspaceMiB { get; init; }

    public int CellTimeoutSeconds { get; init; }

    public long OutputBytesPerCell { get; init; }

    public long MaxMessageBytes { get; init; }

    public long MemoryBytes => MemoryMiB * MiB;

    public long NanoCpus => (long)Math.Round(Cpus * 1e9);

    public long ShmBytes => ShmMiB * MiB;

    public long WorkspaceBytes => WorkspaceMiB * MiB;

    /// <summary>Every rule the envelope breaks (empty when valid). Shared by the options validator and the spec loader.</summary>
    public IReadOnlyList<string> Validate(string where)
    {
        var errors = new List<string>();
        void Require(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add($"{where}: {message}");
            }
        }

        Require(MemoryMiB >= 64, $"memory_mib must be at least 64 (is {MemoryMiB}).");
        Require(MemoryMiB <= 1024 * 1024, $"memory_mib must be at most 1048576 (is {MemoryMiB}).");
        Require(Cpus is >= 0.01 and <= 1024, $"cpus must be between 0.01 and 1024 (is {Cpus}).");
        Require(Pids is >= 16 and <= 65536, $"pids must be between 16 and 65536 (is {Pids}).");
        Require(Nofile is >= 64 and <= 1048576, $"nofile must be between 64 and 1048576 (is {Nofile}).");
        Require(TmpMiB >= 1, $"tmp_mib must be at least 1 (is {TmpMiB}).");
        Require(ShmMiB >= 1, $"shm_mib must be at least 1 (is {ShmMiB}).");
        // tmpfs pages are charged to the container's memory cgroup and stay charged: keep both tmpfs inside
        // half of the budget so a full /tmp never leaves the kernel unable to allocate at all.
        Require((long)TmpMiB + ShmMiB <= MemoryMiB / 2,
            $"tmp_mib + shm_mib ({TmpMiB} + {ShmMiB}) must fit in half of memory_mib ({MemoryMiB}): tmpfs is charged to the memory limit.");
        Require(WorkspaceMiB is >= 16 and <= 1024 * 1024, $"workspace_mib must be between 16 and 1048576 (is {WorkspaceMiB}).");
        Require(CellTimeoutSeconds >= 1, $"cell_timeout_seconds must be at least 1 (is {CellTimeoutSeconds}).");
        Require(OutputBytesPerCell >= 1024, $"output_bytes_per_cell must be at least 1024 (is {OutputBytesPerCell}).");
        Require(MaxMessageBytes >= 64 * 1024, $"max_message_bytes must be at least 65536 (is {MaxMessageBytes}).");
        return errors;
    }
}
