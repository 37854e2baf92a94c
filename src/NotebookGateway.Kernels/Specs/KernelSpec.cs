using System.Text.Json;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Specs;

/// <summary>
/// A kernelspec: the standard Jupyter <c>kernel.json</c> fields plus the sandbox it runs in
/// (<c>metadata.notebookgateway</c>). Immutable; reloaded as a whole.
/// </summary>
public sealed record KernelSpec
{
    /// <summary>The folder name, which is the name clients use.</summary>
    public required string Name { get; init; }

    /// <summary>Host folder holding kernel.json and its resources (logos).</summary>
    public required string ResourceDirectory { get; init; }

    /// <summary>Command run in the container; <c>{connection_file}</c> is the only placeholder.</summary>
    public required IReadOnlyList<string> Argv { get; init; }

    public required string DisplayName { get; init; }

    public required string Language { get; init; }

    public InterruptMode InterruptMode { get; init; } = InterruptMode.Signal;

    /// <summary>Environment variables from the kernelspec.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The kernelspec's <c>metadata</c> object as written (for /api/kernelspecs).</summary>
    public JsonElement? Metadata { get; init; }

    /// <summary>Files beside kernel.json (name → host path), e.g. <c>logo-64x64.png</c>.</summary>
    public IReadOnlyDictionary<string, string> Resources { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public required SandboxSpec Sandbox { get; init; }

    /// <summary>What the spec's image was shown to provide at build time (language_info of its kernel), or null when the
    /// image carries no matching entry (such a spec is served only when <c>Sandbox:RequireVerifiedImages</c> is off).</summary>
    public VerifiedKernel? Verified { get; init; }

    /// <summary>The argv with the connection file placeholder filled in for the sandbox.</summary>
    public IReadOnlyList<string> ArgvFor(string connectionFile) =>
        Argv.Select(a => a.Replace(KernelSpecParser.ConnectionFilePlaceholder, connectionFile, StringComparison.Ordinal)).ToArray();
}

/// <summary>Where and how a kernelspec's kernels run.</summary>
public sealed record SandboxSpec
{
    /// <summary>The container image, e.g. <c>notebookgateway/sandbox-python:latest</c>.</summary>
    public required string Image { get; init; }

    /// <summary>OCI runtime (<c>runsc</c> for gVisor); null is the engine's default (runc).</summary>
    public string? Runtime { get; init; }

    /// <summary>How the kernel's sockets reach the gateway: ipc, or tcp on the container's loopback behind a relay.</summary>
    public KernelTransport Transport { get; init; } = KernelTransport.Ipc;

    /// <summary>
    /// How long the kernel may leave heartbeats unanswered before it is reported dead; null: the gateway's
    /// <c>Sandbox:HeartbeatTimeoutSeconds</c>; 0: never (for kernels that answer heartbeats only between requests, such as
    /// IRkernel; a dead container is still reported from the engine's events, a hung cell still meets the wall clock).
    /// </summary>
    public int? HeartbeatTimeoutSeconds { get; init; }

    /// <summary>
    /// Replaces the image's entrypoint (<c>[]</c> = none: the argv runs directly under the engine's init). Null keeps
    /// the image's, except under gVisor, where it defaults to none (see <see cref="SandboxSpec.EffectiveEntrypoint"/>).
    /// </summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary>
    /// The network policy of the spec's kernels: <c>none</c> (no network at all, the default) or the name of an
    /// <c>Egress:Policies</c> allowlist. The server may replace it per user or group, only with a policy the operator
    /// defined.
    /// </summary>
    public string NetworkPolicy { get; init; } = "none";

    /// <summary>Whether the runtime is gVisor.</summary>
    public bool IsGVisor => string.Equals(Runtime, GVisorRuntime, StringComparison.Ordinal);

    public const string GVisorRuntime = "runsc";

    /// <summary>
    /// The entrypoint sent to the engine: the spec's, or none under gVisor, whose 2022 Sentry lacks
    /// PR_SET_CHILD_SUBREAPER (the images' <c>tini -s</c> exits at once there); the engine's init (HostConfig.Init) is
    /// PID 1 either way. Null: the image's.
    /// </summary>
    public IReadOnlyList<string>? EffectiveEntrypoint => Entrypoint ?? (IsGVisor ? [] : null);

    /// <summary>Gateway defaults with this spec's overrides applied.</summary>
    public required SandboxEnvelope Envelope { get; init; }
}
