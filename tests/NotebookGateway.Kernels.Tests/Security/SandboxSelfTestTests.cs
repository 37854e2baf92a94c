using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Tests.Security;

/// <summary>How the self-test judges what its probe printed (the probe itself runs in real sandboxes: KernelStartTests, ManagerLifecycleTests).</summary>
public sealed class SandboxSelfTestTests
{
    private static readonly SandboxEnvelope Envelope = new EnvelopeOptions { MemoryMiB = 384, Pids = 128 }.ToEnvelope();

    private const string Hardened = "Seccomp: 2\nNoNewPrivs: 1\nCapEff: 0000000000000000\nUid: 300001 300001\nNet: lo\nPersonality32: 1\n";

    [Fact]
    public void Evaluate_TheEnvelopesLimitsInTheCgroup_Passes()
    {
        var result = SandboxSelfTest.Evaluate(Hardened + "MemoryLimit: 402653184\nPidsLimit: 128\n", 300001, Envelope);

        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void Evaluate_LimitsTheEngineDidNotApply_FailWithBoth()
    {
        // What rootless Podman on cgroup v1 shows: it ignores memory and pids limits.
        var result = SandboxSelfTest.Evaluate(Hardened + "MemoryLimit: 9223372036854771712\nPidsLimit: max\n", 300001, Envelope);

        Assert.False(result.Passed);
        Assert.Contains(result.Failures, f => f.Contains("memory limit is 9223372036854771712, expected 402653184", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Contains("pids limit is max, expected 128", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_NoCgroupFilesInTheSandbox_DoesNotJudgeTheLimits()
    {
        var result = SandboxSelfTest.Evaluate(Hardened, 300001, Envelope);

        Assert.True(result.Passed, result.ToString());
    }
}
