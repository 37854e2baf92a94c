namespace NotebookGateway.Docker.Models;

/// <summary>One entry of <c>HostConfig.Mounts</c>.</summary>
public sealed record Mount
{
    /// <summary><c>"bind"</c>, <c>"volume"</c> or <c>"tmpfs"</c> (see <see cref="MountTypes"/>).</summary>
    public required string Type { get; init; }

    /// <summary>Host path (bind) or volume name (volume); empty for tmpfs.</summary>
    public string? Source { get; init; }

    public required string Target { get; init; }

    public bool? ReadOnly { get; init; }

    public string? Consistency { get; init; }

    public BindOptions? BindOptions { get; init; }

    public VolumeOptions? VolumeOptions { get; init; }

    public TmpfsOptions? TmpfsOptions { get; init; }
}

public static class MountTypes
{
    public const string Bind = "bind";
    public const string Volume = "volume";
    public const string Tmpfs = "tmpfs";
}

public sealed record BindOptions
{
    public string? Propagation { get; init; }

    public bool? NonRecursive { get; init; }
}

public sealed record VolumeOptions
{
    /// <summary>Do not copy the image's content at the target into a new volume.</summary>
    public bool? NoCopy { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public VolumeDriverConfig? DriverConfig { get; init; }
}

public sealed record VolumeDriverConfig
{
    public string? Name { get; init; }

    public IReadOnlyDictionary<string, string>? Options { get; init; }
}

public sealed record TmpfsOptions
{
    public long? SizeBytes { get; init; }

    /// <summary>Permission bits as a plain number: octal 1777 is <c>Convert.ToInt32("1777", 8)</c> = 1023.</summary>
    public int? Mode { get; init; }
}
