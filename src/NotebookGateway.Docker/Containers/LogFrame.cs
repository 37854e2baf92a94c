namespace NotebookGateway.Docker.Containers;

/// <summary>Which stream a log frame came from; the values are the engine's stream-type byte.</summary>
public enum LogStreamKind : byte
{
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,

    /// <summary>Errors of the engine itself, sent on attach/exec streams by newer engines.</summary>
    System = 3,
}

/// <summary>One chunk of container output.</summary>
public readonly record struct LogFrame(LogStreamKind Stream, ReadOnlyMemory<byte> Payload);

/// <summary>Collected container output, decoded as UTF-8.</summary>
/// <param name="Truncated">True when output beyond <see cref="ContainerLogsParameters.MaxBytes"/> was dropped.</param>
public sealed record ContainerLogs(string Stdout, string Stderr, bool Truncated);
