using Microsoft.Extensions.Logging;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>
/// The first kernel of each runtime proves the hardening from the inside (<see cref="SandboxSelfTest"/>): Python
/// kernels run the probe through execute_request, others get a short-lived probe container with the same envelope.
/// A failure is final for this process: every later start is refused with the reason.
/// </summary>
public sealed class SelfTestRunner(DockerClient docker, SandboxHost host, RunPlanner planner, SecurityEvents security, ILogger<SelfTestRunner> logger) : IDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(60);

    private readonly HashSet<string> _passedRuntimes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile string? _refusal;

    /// <summary>The last result, null before the first probe.</summary>
    public SelfTestResult? LastResult { get; private set; }

    /// <summary>Why kernels are refused (a failed self-test), or null.</summary>
    public string? RefusalReason => _refusal;

    /// <exception cref="SandboxSelfTestException">A self-test failed; no kernel will be served.</exception>
    public void ThrowIfRefused()
    {
        if (_refusal is { } refusal)
        {
            throw new SandboxSelfTestException(refusal);
        }
    }

    /// <summary>Runs the probe in <paramref name="kernel"/> unless its runtime has passed already.</summary>
    /// <exception cref="SandboxSelfTestException">The probe found a hardening gap.</exception>
    internal async Task EnsurePassedAsync(SandboxKernel kernel, CancellationToken cancellationToken)
    {
        if (!host.Options.SelfTest)
        {
            return;
        }

        var runtime = kernel.Spec.Sandbox.Runtime ?? "runc";
        if (HasPassed(runtime))
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (HasPassed(runtime))
            {
                return;
            }

            ThrowIfRefused();
            var result = await ProbeAsync(kernel, cancellationToken).ConfigureAwait(false);
            LastResult = result;
            if (result.Passed)
            {
                lock (_passedRuntimes)
                {
                    _passedRuntimes.Add(runtime);
                }

                LifecycleLog.SelfTestPassed(logger, runtime, result);
                return;
            }

            var reason = $"The sandbox self-test failed on runtime {runtime} (kernelspec {kernel.Spec.Name}): {string.Join("; ", result.Failures)}. No kernels will be served until the host is fixed and the gateway restarted.";
            _refusal = reason;
            security.Report(SecurityEventKinds.SelfTestFailed, kernel.Id, kernel.ContainerId, reason);
            throw new SandboxSelfTestException(reason);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Whether kernels of <paramref name="spec"/> start without a probe (it passed on their runtime, or is off).</summary>
    internal bool HasPassed(Specs.KernelSpec spec) => !host.Options.SelfTest || HasPassed(spec.Sandbox.Runtime ?? "runc");

    private bool HasPassed(string runtime)
    {
        lock (_passedRuntimes)
        {
            return _passedRuntimes.Contains(runtime);
        }
    }

    private async Task<SelfTestResult> ProbeAsync(SandboxKernel kernel, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            return string.Equals(kernel.Spec.Language, "python", StringComparison.OrdinalIgnoreCase)
                ? await SandboxSelfTest.RunAsync(kernel.Client, kernel.Session.Uid, kernel.Envelope, timeout.Token).ConfigureAwait(false)
                : await RunProbeContainerAsync(kernel, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SelfTestResult([$"the probe did not finish within {ProbeTimeout.TotalSeconds:0} s"], new Dictionary<string, string>());
        }
    }

    /// <summary>The self-test for kernels that are not Python: a short-lived container with the same envelope, running a shell probe.</summary>
    private async Task<SelfTestResult> RunProbeContainerAsync(SandboxKernel kernel, CancellationToken cancellationToken)
    {
        const string Probe = "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status; echo \"Uid: $(id -u) $(id -u)\"; "
            + "echo \"Net: $(ls /sys/class/net | tr '\\n' ' ')\"; "
            + "if setarch linux32 true 2>/dev/null; then echo 'Personality32: 0'; else echo 'Personality32: 1'; fi; "
            + "for f in /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max; do [ -r $f ] && { echo \"MemoryLimit: $(cat $f)\"; break; }; done; "
            + "for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do [ -r $f ] && { echo \"PidsLimit: $(cat $f)\"; break; }; done";
        var run = kernel.Run ?? throw new InvalidOperationException("The kernel has no run.");
        var request = planner.CreateContainerRequest(run, ["/bin/sh", "-c", Probe]).Build();
        request = request with
        {
            Labels = new Dictionary<string, string>(request.Labels!, StringComparer.Ordinal) { [SandboxLabels.Run] = run.RunId + "-selftest" },
        };
        var created = await docker.Containers.CreateAsync(request, host.ContainerName(run.RunId + "-selftest"), cancellationToken).ConfigureAwait(false);
        try
        {
            await docker.Containers.StartAsync(created.Id, cancellationToken).ConfigureAwait(false);
            await docker.Containers.WaitAsync(created.Id, ContainerWaitCondition.NotRunning, cancellationToken).ConfigureAwait(false);
            var logs = await docker.Containers.GetLogsAsync(created.Id, new ContainerLogsParameters { MaxBytes = 16384 }, cancellationToken).ConfigureAwait(false);
            return SandboxSelfTest.Evaluate(logs.Stdout, kernel.Session.Uid, kernel.Envelope);
        }
        finally
        {
            try
            {
                await docker.Containers.RemoveAsync(created.Id, force: true, removeVolumes: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (DockerNotFoundException)
            {
            }
        }
    }
}
