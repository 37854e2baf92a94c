using Microsoft.Extensions.Configuration;

namespace NotebookGateway.Kernels.Options;

/// <summary>
/// The default resource envelope of a sandboxed kernel (<c>Sandbox:Envelope</c> in gateway.json). The keys are the
/// same snake_case names a kernelspec uses in <c>metadata.notebookgateway.envelope</c> to override them.
/// </summary>
public sealed class EnvelopeOptions
{
    /// <summary>Memory limit of the container; swap is set equal, so there is none. tmpfs pages count against it.</summary>
    [ConfigurationKeyName("memory_mib")]
    public int MemoryMiB { get; set; } = 512;

    /// <summary>CPU quota in CPUs (1.5 = one and a half cores).</summary>
    [ConfigurationKeyName("cpus")]
    public double Cpus { get; set; } = 1.0;

    /// <summary>pids cgroup limit: processes and threads of the whole container.</summary>
    [ConfigurationKeyName("pids")]
    public int Pids { get; set; } = 128;

    /// <summary>RLIMIT_NOFILE, soft and hard.</summary>
    [ConfigurationKeyName("nofile")]
    public int Nofile { get; set; } = 1024;

    /// <summary>Size of the /tmp tmpfs (inside the memory budget).</summary>
    [ConfigurationKeyName("tmp_mib")]
    public int TmpMiB { get; set; } = 64;

    /// <summary>Size of /dev/shm (inside the memory budget).</summary>
    [ConfigurationKeyName("shm_mib")]
    public int ShmMiB { get; set; } = 64;

    /// <summary>Size cap of a notebook session's workspace.</summary>
    [ConfigurationKeyName("workspace_mib")]
    public int WorkspaceMiB { get; set; } = 256;

    /// <summary>Wall-clock limit of one cell (enforced by the server).</summary>
    [ConfigurationKeyName("cell_timeout_seconds")]
    public int CellTimeoutSeconds { get; set; } = 600;

    /// <summary>Output bytes one cell may produce (enforced by the server on the streaming path).</summary>
    [ConfigurationKeyName("output_bytes_per_cell")]
    public long OutputBytesPerCell { get; set; } = 10L * 1024 * 1024;

    /// <summary>Largest ZeroMQ message accepted from the kernel (ZMQ_MAXMSGSIZE).</summary>
    [ConfigurationKeyName("max_message_bytes")]
    public long MaxMessageBytes { get; set; } = 64L * 1024 * 1024;

    public SandboxEnvelope ToEnvelope() => new()
    {
        MemoryMiB = MemoryMiB,
        Cpus = Cpus,
        Pids = Pids,
        Nofile = Nofile,
        TmpMiB = TmpMiB,
        ShmMiB = ShmMiB,
        WorkspaceMiB = WorkspaceMiB,
        CellTimeoutSeconds = CellTimeoutSeconds,
        OutputBytesPerCell = OutputBytesPerCell,
        MaxMessageBytes = MaxMessageBytes,
    };
}
