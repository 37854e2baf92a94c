using System.Globalization;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Security;

/// <summary>
/// Checks from inside a running sandbox that the hardening really applied (catalogue K18): seccomp filter mode 2,
/// NoNewPrivs 1, no effective capabilities, the session's non-root uid, no network interface but <c>lo</c>, and a
/// sentinel that only our profile denies (Docker's default allows <c>personality(PER_LINUX32)</c>), and the memory and pids
/// limits of the envelope in the container's own cgroup (an engine that silently drops limits, such as rootless Podman
/// on cgroup v1, fails here). Where the sandbox sees no cgroup files (gVisor) the limits are not judged.
/// The probe prints <c>Key: value</c> lines; <see cref="Evaluate"/> judges them.
/// </summary>
public static class SandboxSelfTest
{
    /// <summary>Runs inside a Python kernel. PER_LINUX32 is tried in a child, never in the kernel itself.</summary>
    public const string PythonProbe = """
        def _nbgw_self_test():
            import ctypes, os, socket, subprocess, sys
            out = []
            with open('/proc/self/status') as f:
                for line in f:
                    key, _, value = line.partition(':')
                    if key in ('Seccomp', 'NoNewPrivs', 'CapEff', 'CapPrm', 'CapBnd'):
                        out.append(key + ': ' + value.strip())
            if not any(line.startswith('NoNewPrivs:') for line in out):
                # gVisor's /proc/self/status has no NoNewPrivs line: ask the kernel (PR_GET_NO_NEW_PRIVS).
                libc = ctypes.CDLL(None, use_errno=True)
                out.append('NoNewPrivs: %d' % libc.prctl(39, 0, 0, 0, 0))
            out.append('Uid: %d %d' % (os.getuid(), os.geteuid()))
            try:
                names = [name for _, name in socket.if_nameindex()]
            except OSError:
                names = os.listdir('/sys/class/net')
            out.append('Net: ' + ' '.join(sorted(names)))
            code = ('import ctypes, sys; libc = ctypes.CDLL(None, use_errno=True); '
                    'libc.personality.argtypes = [ctypes.c_ulong]; r = libc.personality(8); '
                    'sys.stdout.write(str(ctypes.get_errno() if r == -1 else 0))')
            r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=30)
            out.append('Personality32: ' + (r.stdout.strip() or 'exit %d' % r.returncode))
            for key, files in (('MemoryLimit', ('/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory.max')),
                               ('PidsLimit', ('/sys/fs/cgroup/pids/pids.max', '/sys/fs/cgroup/pids.max'))):
                for name in files:
                    try:
                        with open(name) as f:
                            out.append(key + ': ' + f.read().strip())
                        break
                    except OSError:
                        pass
            print('\n'.join(out))
        _nbgw_self_test()
        del _nbgw_self_test
        """;

    /// <summary>Runs <see cref="PythonProbe"/> through the kernel's shell channel and evaluates what it printed.</summary>
    public static async Task<SelfTestResult> RunAsync(KernelClient client, uint expectedUid, SandboxEnvelope envelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var outcome = await client.ExecuteAsync(PythonProbe, new ExecuteOptions { StoreHistory = false, Silent = true }, cancellationToken).ConfigureAwait(false);
        if (outcome.Status != "ok")
        {
            return new SelfTestResult([$"the probe did not run ({outcome.Status}): {outcome.StreamText("stderr")}"], new Dictionary<string, string>());
        }

        return Evaluate(outcome.StreamText(), expectedUid, envelope);
    }

    /// <summary>Judges the probe's output; every failed check is listed.</summary>
    public static SelfTestResult Evaluate(string output, uint expectedUid, SandboxEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(output);
        var observed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                observed[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }

        var failures = new List<string>();
        string Get(string key) => observed.GetValueOrDefault(key, "(missing)");

        if (Get("Seccomp") != "2")
        {
            failures.Add($"seccomp filter mode is {Get("Seccomp")}, expected 2 (the profile was not applied)");
        }

        if (Get("NoNewPrivs") != "1")
        {
            failures.Add($"NoNewPrivs is {Get("NoNewPrivs")}, expected 1");
        }

        if (!IsZeroCapabilities(Get("CapEff")))
        {
            failures.Add($"effective capabilities are {Get("CapEff")}, expected none");
        }

        var uids = Get("Uid").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (uids.Length != 2 || uids.Any(u => u == "0") || uids.Any(u => u != expectedUid.ToString(CultureInfo.InvariantCulture)))
        {
            failures.Add($"uid/euid are {Get("Uid")}, expected {expectedUid} (never 0)");
        }

        if (Get("Net") != "lo")
        {
            failures.Add($"network interfaces are '{Get("Net")}', expected only lo");
        }

        if (Get("Personality32") != "1")
        {
            failures.Add($"personality(PER_LINUX32) gave '{Get("Personality32")}', expected EPERM (1) from the gateway's seccomp profile");
        }

        if (observed.TryGetValue("MemoryLimit", out var memory) && memory != envelope.MemoryBytes.ToString(CultureInfo.InvariantCulture))
        {
            failures.Add($"the container's memory limit is {memory}, expected {envelope.MemoryBytes} (the engine did not apply it)");
        }

        if (observed.TryGetValue("PidsLimit", out var pids) && pids != envelope.Pids.ToString(CultureInfo.InvariantCulture))
        {
            failures.Add($"the container's pids limit is {pids}, expected {envelope.Pids} (the engine did not apply it)");
        }

        return new SelfTestResult(failures, observed);
    }

    private static bool IsZeroCapabilities(string value) =>
        value.Length > 0 && ulong.TryParse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var caps) && caps == 0;
}

/// <summary>What the self-test saw; passed when <see cref="Failures"/> is empty.</summary>
public sealed record SelfTestResult(IReadOnlyList<string> Failures, IReadOnlyDictionary<string, string> Observed)
{
    public bool Passed => Failures.Count == 0;

    public override string ToString() =>
        (Passed ? "passed" : "failed: " + string.Join("; ", Failures)) + " [" + string.Join(", ", Observed.Select(kv => $"{kv.Key}={kv.Value}")) + "]";
}
