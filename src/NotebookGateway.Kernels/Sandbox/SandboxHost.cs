using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Interop;
using NotebookGateway.Kernels.Observation;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// What every kernel run of this process shares on the host, prepared once at start-up (<see cref="PrepareAsync"/>):
/// the options checked, the seccomp profile loaded, and the owner's socket and workspace roots created root-only and
/// checked. Also this process's instance id, stamped on its containers.
/// </summary>
public sealed class SandboxHost
{
    private SeccompProfile? _seccomp;

    public SandboxHost(IOptions<SandboxOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        InstanceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    }

    public SandboxOptions Options { get; }

    /// <summary>This process's id, stamped on its containers (<c>org.notebookgateway.instance</c>).</summary>
    public string InstanceId { get; }

    public string Owner => Options.Owner;

    /// <summary>The seccomp profile every container gets.</summary>
    /// <exception cref="InvalidOperationException">Not prepared yet.</exception>
    public SeccompProfile Seccomp => _seccomp ?? throw new InvalidOperationException("The sandbox host is not prepared yet.");

    /// <summary>How kernels start so that their denied syscall attempts are logged; null when <see cref="SandboxOptions.SyscallSignals"/> is off.</summary>
    public SyscallSignals? SyscallSignals { get; private set; }

    /// <summary>Where this owner's socket directories live on the host (empty until prepared).</summary>
    public string SocketRoot { get; private set; } = "";

    /// <summary>Where this owner's workspaces live on the host (empty until prepared).</summary>
    public string WorkspaceRoot { get; private set; } = "";

    /// <summary>Where this owner's state (for re-adoption after a restart) lives on the host (empty until prepared).</summary>
    public string StateDirectory { get; private set; } = "";

    /// <exception cref="OptionsValidationException">The options are invalid; every error is listed.</exception>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var errors = SandboxOptionsValidator.Collect(Options);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(SandboxOptions), errors);
        }

        _seccomp = await SeccompProfile.LoadAsync(Options.SeccompProfile, cancellationToken).ConfigureAwait(false);
        if (Options.Engine == EngineKind.Podman)
        {
            // ".profiles" cannot be an owner (owners start with a letter or digit).
            _seccomp.StoreIn(PrepareRoot(Options.StateRoot, ".profiles"));
        }

        SyscallSignals = Options.SyscallSignals ? new SyscallSignals(_seccomp) : null;
        SocketRoot = PrepareRoot(Options.SocketRoot, Owner);
        WorkspaceRoot = PrepareRoot(Options.WorkspaceRoot, Owner);
        StateDirectory = PrepareRoot(Options.StateRoot, Owner);
    }

    /// <summary>The engine's name for a container of this owner.</summary>
    public string ContainerName(string runId) => $"nbgw-{Owner}-{runId}";

    /// <summary>Creates <c>{root}/{owner}</c> (root-only) and checks that neither is a link or someone else's.</summary>
    private static string PrepareRoot(string root, string owner)
    {
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var ownerRoot = Path.Combine(root, owner);
        if (NoFollow.TryStat(ownerRoot) is null)
        {
            NoFollow.CreateDirectory(ownerRoot, 0b111_000_000, LibC.GetEUid(), LibC.GetEUid());
        }

        foreach (var path in new[] { root, ownerRoot })
        {
            var status = NoFollow.TryStat(path);
            if (status is not { IsDirectory: true } || status.Value.Uid != LibC.GetEUid() || (status.Value.Permissions & 0b000_010_010) != 0)
            {
                throw new InvalidOperationException(
                    $"{path} must be a directory owned by the gateway's user and writable by nobody else (is {status?.TypeName ?? "missing"}, uid {status?.Uid}, mode {Convert.ToString(status?.Permissions ?? 0, 8)}).");
            }
        }

        return ownerRoot;
    }
}
