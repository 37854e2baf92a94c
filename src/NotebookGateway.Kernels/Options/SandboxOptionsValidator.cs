using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Options;

/// <summary>Checks <see cref="SandboxOptions"/> and reports every problem at once.</summary>
public sealed partial class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Collect(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every error, in a stable order.</summary>
    public static List<string> Collect(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string S = SandboxOptions.SectionName;
        var errors = new List<string>();
        void Require(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        Require(options.Owner is not null && OwnerPattern().IsMatch(options.Owner),
            $"{S}:Owner must be 1-40 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit (is '{options.Owner}').");
        Require(Enum.IsDefined(options.Engine), $"{S}:Engine must be Docker or Podman (is {options.Engine}).");
        Require(string.IsNullOrWhiteSpace(options.EngineSocket) || Path.IsPathFullyQualified(options.EngineSocket),
            $"{S}:EngineSocket must be an absolute path to the engine's Unix socket (is '{options.EngineSocket}').");
        Require(options.ProcessesPerUid >= 16, $"{S}:ProcessesPerUid must be at least 16 (is {options.ProcessesPerUid}).");
        Require(options.KernelSpecDirectories is { Count: > 0 } && options.KernelSpecDirectories.All(d => !string.IsNullOrWhiteSpace(d)),
            $"{S}:KernelSpecDirectories must name at least one directory.");
        if (string.IsNullOrWhiteSpace(options.SeccompProfile))
        {
            errors.Add($"{S}:SeccompProfile must name the seccomp profile (JSON).");
        }
        else
        {
            Require(File.Exists(options.SeccompProfile), $"{S}:SeccompProfile '{options.SeccompProfile}' does not exist.");
        }

        if (options.Envelope is null)
        {
            errors.Add($"{S}:Envelope is missing.");
        }
        else
        {
            errors.AddRange(options.Envelope.ToEnvelope().Validate($"{S}:Envelope"));
        }

        if (options.UidRange is null)
        {
            errors.Add($"{S}:UidRange is missing.");
        }
        else
        {
            Require(options.UidRange.First >= 1000, $"{S}:UidRange:First must be at least 1000, outside system accounts (is {options.UidRange.First}).");
            Require(options.UidRange.Count >= 1, $"{S}:UidRange:Count must be at least 1 (is {options.UidRange.Count}).");
            Require(options.UidRange.Last <= int.MaxValue - 1, $"{S}:UidRange must end at or below {int.MaxValue - 1} (ends at {options.UidRange.Last}).");
        }

        if (options.Pool is null)
        {
            errors.Add($"{S}:Pool is missing.");
        }
        else
        {
            Require(options.Pool.MemoryBudgetMiB >= 0, $"{S}:Pool:MemoryBudgetMiB must be 0 or more (is {options.Pool.MemoryBudgetMiB}).");
            Require(options.Pool.RefillIntervalMilliseconds is >= 10 and <= 600_000, $"{S}:Pool:RefillIntervalMilliseconds must be between 10 and 600000 (is {options.Pool.RefillIntervalMilliseconds}).");
            foreach (var (spec, pool) in options.Pool.Specs ?? new Dictionary<string, SpecPoolOptions>())
            {
                errors.AddRange(pool is null ? [$"{S}:Pool:Specs:{spec} is empty."] : pool.Validate($"{S}:Pool:Specs:{spec}"));
            }
        }

        CheckRoot(errors, $"{S}:SocketRoot", options.SocketRoot);
        CheckRoot(errors, $"{S}:WorkspaceRoot", options.WorkspaceRoot);
        if (IsAbsolute(options.SocketRoot) && IsAbsolute(options.WorkspaceRoot))
        {
            Require(!Nested(options.SocketRoot, options.WorkspaceRoot),
                $"{S}:SocketRoot and {S}:WorkspaceRoot must not contain each other.");
        }

        Require(IsAbsolute(options.StateRoot), $"{S}:StateRoot must be an absolute path (is '{options.StateRoot}').");
        if (IsAbsolute(options.StateRoot) && IsAbsolute(options.SocketRoot) && IsAbsolute(options.WorkspaceRoot))
        {
            Require(!Nested(options.StateRoot, options.SocketRoot) && !Nested(options.StateRoot, options.WorkspaceRoot),
                $"{S}:StateRoot must not contain or be inside {S}:SocketRoot or {S}:WorkspaceRoot.");
        }

        Require(Enum.IsDefined(options.OnStop), $"{S}:OnStop must be RemoveKernels or KeepKernels.");
        Require(options.ReadoptTimeoutSeconds is >= 1 and <= 120, $"{S}:ReadoptTimeoutSeconds must be between 1 and 120 (is {options.ReadoptTimeoutSeconds}).");
        Require(Enum.IsDefined(options.WorkspaceBackend), $"{S}:WorkspaceBackend must be LoopImage or Directory.");
        var mountPath = options.WorkspaceMountPath;
        Require(IsAbsolute(mountPath) && mountPath != "/" && !mountPath.Contains("..", StringComparison.Ordinal)
                && !Nested(mountPath, SandboxPaths.KernelDirectory) && !Nested(mountPath, "/tmp") && !Nested(mountPath, "/proc")
                && !Nested(mountPath, "/dev") && !Nested(mountPath, "/sys"),
            $"{S}:WorkspaceMountPath must be an absolute path outside /, /kernel, /tmp, /proc, /dev and /sys (is '{mountPath}').");
        Require(options.WorkspaceRetentionMinutes is >= 0 and <= 7 * 24 * 60, $"{S}:WorkspaceRetentionMinutes must be between 0 and 10080 (is {options.WorkspaceRetentionMinutes}).");
        Require(options.LaunchTimeoutSeconds is >= 1 and <= 600, $"{S}:LaunchTimeoutSeconds must be between 1 and 600 (is {options.LaunchTimeoutSeconds}).");
        Require(options.ShutdownGraceSeconds is >= 0 and <= 300, $"{S}:ShutdownGraceSeconds must be between 0 and 300 (is {options.ShutdownGraceSeconds}).");
        Require(options.HeartbeatTimeoutSeconds is >= 2 and <= 600, $"{S}:HeartbeatTimeoutSeconds must be between 2 and 600 (is {options.HeartbeatTimeoutSeconds}).");
        Require(options.KernelIOPubReadMessagesPerSecond >= 0, $"{S}:KernelIOPubReadMessagesPerSecond must be 0 (no bound) or positive (is {options.KernelIOPubReadMessagesPerSecond}).");
        Require(options.KernelReceiveQueueBytes is >= 1 << 20, $"{S}:KernelReceiveQueueBytes must be at least 1 MiB (is {options.KernelReceiveQueueBytes}).");
        Require(options.SocketDirectorySizeKiB is >= 64 and <= 65536, $"{S}:SocketDirectorySizeKiB must be between 64 and 65536 (is {options.SocketDirectorySizeKiB}).");
        Require(options.SocketDirectoryInodes is >= 16 and <= 65536, $"{S}:SocketDirectoryInodes must be between 16 and 65536 (is {options.SocketDirectoryInodes}).");
        Require(options.ContainerLogMaxSize is not null && LogSizePattern().IsMatch(options.ContainerLogMaxSize),
            $"{S}:ContainerLogMaxSize must be a size such as 512k or 1m (is '{options.ContainerLogMaxSize}').");
        Require(options.MaxClientEnvironmentVariables is >= 0 and <= 4096, $"{S}:MaxClientEnvironmentVariables must be between 0 and 4096.");
        Require(options.MaxClientEnvironmentBytes is >= 0 and <= 1024 * 1024, $"{S}:MaxClientEnvironmentBytes must be between 0 and 1048576.");
        foreach (var (key, value) in options.ExtraLabels ?? new Dictionary<string, string>())
        {
            Require(!SandboxLabels.IsReserved(key), $"{S}:ExtraLabels:{key} is reserved for the gateway's own labels.");
            Require(key.Length is > 0 and <= 256 && value is not null && value.Length <= 1024, $"{S}:ExtraLabels:{key} is empty or too long.");
        }

        return errors;
    }

    private static void CheckRoot(List<string> errors, string name, string? path)
    {
        if (!IsAbsolute(path) || path == "/" || path!.Contains("..", StringComparison.Ordinal))
        {
            errors.Add($"{name} must be an absolute path other than / without '..' (is '{path}').");
        }
        else if (path.Length > 200)
        {
            errors.Add($"{name} must be at most 200 characters long (is {path.Length}).");
        }
    }

    private static bool IsAbsolute(string? path) => path is not null && path.StartsWith('/');

    private static bool Nested(string a, string b)
    {
        static string Norm(string p) => p.TrimEnd('/') + "/";
        var na = Norm(a);
        var nb = Norm(b);
        return na.StartsWith(nb, StringComparison.Ordinal) || nb.StartsWith(na, StringComparison.Ordinal);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,39}$")]
    private static partial Regex OwnerPattern();

    [GeneratedRegex("^[1-9][0-9]{0,8}[kmg]$")]
    private static partial Regex LogSizePattern();
}
