using System.Text.Json.Serialization;
using NotebookGateway.Jupyter.Connection;

namespace NotebookGateway.Kernels.State;

/// <summary>What a restarted gateway needs to take a kernel back: written when it starts, restarts, dies or changes.</summary>
public sealed record KernelRecord
{
    public required string KernelId { get; init; }

    public required string SpecName { get; init; }

    public required IReadOnlyList<string> Environment { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The network policy's name, null for none.</summary>
    public string? NetworkPolicy { get; init; }

    public int Generation { get; init; }

    public bool WarmStart { get; init; }

    /// <summary>The session's <c>Key</c> (its record's file name).</summary>
    public required string SessionKey { get; init; }

    /// <summary>The running container; null while the kernel is dead.</summary>
    public RunRecord? Run { get; init; }

    public string? DeathReason { get; init; }

    /// <summary>What the server keeps with the kernel (its owner, its culling clock); never anything a kernel sent.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>One container of a kernel, with its key: the key never leaves the state directory.</summary>
public sealed record RunRecord
{
    public required string RunId { get; init; }

    public required string ContainerId { get; init; }

    public required ConnectionInfo Connection { get; init; }

    public bool SocketTmpfs { get; init; }
}

/// <summary>A notebook session: its uid and workspace, kept while the session exists (also without kernels).</summary>
public sealed record SessionStateRecord
{
    public required string Id { get; init; }

    public required string Key { get; init; }

    public required uint Uid { get; init; }

    public required long WorkspaceBytes { get; init; }

    public required bool IsImplicit { get; init; }

    /// <summary>When the session ended (its workspace retained until the retention period is over); null while live.</summary>
    public DateTimeOffset? EndedAt { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KernelRecord))]
[JsonSerializable(typeof(SessionStateRecord))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
