using System.Globalization;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Observation;

/// <summary>
/// Which syscalls reveal intent, and how a kernel is started so that the host's audit log records them: behind
/// <c>nbgw-seccomp-log</c> (base image), a second seccomp filter with the log flag. Syscalls the engine's profile denies
/// stay denied (EPERM from both filters; the newer one, logged, is credited); network sockets stay allowed but logged.
/// Only syscalls the loaded profile really denies are watched, so the helper never changes what a kernel may do.
/// </summary>
public sealed class SyscallSignals
{
    /// <summary>The helper in the base image.</summary>
    public const string Program = "/usr/local/bin/nbgw-seccomp-log";

    public const int SocketSyscall = 41;
    private const int AfInet = 2, AfInet6 = 10, AfPacket = 17;

    /// <summary>Syscalls the sandbox has no business calling (x86-64 numbers), by the signal kind they raise.</summary>
    private static readonly (string Name, int Number, string Kind)[] Watched =
    [
        ("ptrace", 101, SignalKinds.Ptrace),
        ("mount", 165, SignalKinds.Mount), ("umount2", 166, SignalKinds.Mount), ("pivot_root", 155, SignalKinds.Mount),
        ("open_tree", 428, SignalKinds.Mount), ("move_mount", 429, SignalKinds.Mount), ("fsopen", 430, SignalKinds.Mount),
        ("fsconfig", 431, SignalKinds.Mount), ("fsmount", 432, SignalKinds.Mount),
        ("unshare", 272, SignalKinds.Namespace), ("setns", 308, SignalKinds.Namespace),
        ("keyctl", 250, SignalKinds.KernelInterface), ("add_key", 248, SignalKinds.KernelInterface), ("request_key", 249, SignalKinds.KernelInterface),
        ("bpf", 321, SignalKinds.KernelInterface), ("perf_event_open", 298, SignalKinds.KernelInterface),
        ("init_module", 175, SignalKinds.KernelInterface), ("finit_module", 313, SignalKinds.KernelInterface),
        ("delete_module", 176, SignalKinds.KernelInterface), ("kexec_load", 246, SignalKinds.KernelInterface),
        ("kexec_file_load", 320, SignalKinds.KernelInterface),
        ("name_to_handle_at", 303, SignalKinds.KernelInterface), ("open_by_handle_at", 304, SignalKinds.KernelInterface),
    ];

    private readonly Dictionary<int, (string Name, string Kind)> _denied;
    private readonly IReadOnlyList<string> _prefixLoggingSockets;
    private readonly IReadOnlyList<string> _prefix;

    public SyscallSignals(SeccompProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        _denied = Watched.Where(w => !profile.MayAllow(w.Name)).ToDictionary(w => w.Number, w => (w.Name, w.Kind));
        IReadOnlySet<long> families = profile.AllowedFirstArguments("socket");
        int[] loggedFamilies = [.. new[] { AfInet, AfInet6 }.Where(f => families.Contains(f))];
        int[] deniedFamilies = families.Contains(AfPacket) || profile.AllowsUnconditionally("socket") ? [] : [AfPacket];
        string denied = List(_denied.Keys.Order());
        _prefixLoggingSockets = [Program, denied, List(loggedFamilies), List(deniedFamilies), "--"];
        _prefix = [Program, denied, "-", List(deniedFamilies), "--"];
    }

    /// <summary>The syscalls watched with this profile (for the README's "what is seen" and for logs).</summary>
    public IReadOnlyCollection<string> WatchedNames => _denied.Values.Select(v => v.Name).ToList();

    /// <summary>
    /// <c>nbgw-seccomp-log DENIED LOGGED_FAMILIES DENIED_FAMILIES --</c>, put before the kernel's argv.
    /// <paramref name="logNetworkSockets"/> is off for kernels that use inet sockets themselves (the tcp-loopback
    /// relay, an egress path), where every start would look like a network attempt.
    /// </summary>
    public IReadOnlyList<string> CommandPrefix(bool logNetworkSockets) => logNetworkSockets ? _prefixLoggingSockets : _prefix;

    /// <summary>The signal an audit record of <paramref name="syscall"/> stands for; null when it is none of ours.</summary>
    public (string Kind, string Detail)? Classify(int syscall, bool denied)
    {
        if (syscall == SocketSyscall)
        {
            return denied
                ? (SignalKinds.NetworkSocket, "socket() of a denied family (a raw or packet socket) refused")
                : (SignalKinds.NetworkSocket, "socket() of an inet family: a network attempt in a sandbox without a network");
        }
        return _denied.TryGetValue(syscall, out var watched) ? (watched.Kind, $"{watched.Name}() attempted and refused") : null;
    }

    private static string List(IEnumerable<int> values)
    {
        string joined = string.Join(',', values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        return joined.Length == 0 ? "-" : joined;
    }
}
