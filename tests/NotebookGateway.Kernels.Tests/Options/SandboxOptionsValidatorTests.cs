using Microsoft.Extensions.Configuration;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Tests.Options;

public sealed class SandboxOptionsValidatorTests
{
    private static SandboxOptions Valid() => new() { SeccompProfile = RepositoryPaths.SeccompProfile };

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = new SandboxOptionsValidator().Validate(null, Valid());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_ManyProblems_ReportsEveryOne()
    {
        var options = Valid();
        options.Owner = "Bad Owner!";
        options.SeccompProfile = "/nonexistent/profile.json";
        options.Envelope.MemoryMiB = 128;
        options.Envelope.TmpMiB = 100;
        options.UidRange = new UidRangeOptions { First = 0, Count = 0 };
        options.SocketRoot = "relative/sockets";
        options.WorkspaceMountPath = "/kernel/work";
        options.LaunchTimeoutSeconds = 0;
        options.ExtraLabels["org.notebookgateway.owner"] = "x";

        var errors = SandboxOptionsValidator.Collect(options);

        Assert.Contains(errors, e => e.Contains("Sandbox:Owner", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("SeccompProfile", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("tmp_mib + shm_mib", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("UidRange:First", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("UidRange:Count", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Sandbox:SocketRoot", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("WorkspaceMountPath", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("LaunchTimeoutSeconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("reserved", StringComparison.Ordinal));
        Assert.False(new SandboxOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_BadEngineSettings_AreEachNamed_AndEachEngineHasItsSocket()
    {
        var options = Valid();
        options.Engine = (EngineKind)7;
        options.EngineSocket = "podman.sock";
        options.ProcessesPerUid = 0;

        var errors = SandboxOptionsValidator.Collect(options);

        Assert.Contains(errors, e => e.Contains("Sandbox:Engine must be Docker or Podman", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Sandbox:EngineSocket must be an absolute path", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Sandbox:ProcessesPerUid", StringComparison.Ordinal));
        Assert.Equal("/var/run/docker.sock", new SandboxOptions().EffectiveEngineSocket);
        Assert.Equal("/run/podman/podman.sock", new SandboxOptions { Engine = EngineKind.Podman }.EffectiveEngineSocket);
        Assert.Equal("/srv/engine.sock", new SandboxOptions { Engine = EngineKind.Podman, EngineSocket = "/srv/engine.sock" }.EffectiveEngineSocket);
    }

    [Fact]
    public void Validate_BadPoolSettings_AreEachNamed()
    {
        var options = Valid();
        options.Pool.MemoryBudgetMiB = -1;
        options.Pool.RefillIntervalMilliseconds = 0;
        options.Pool.Specs["python3"] = new SpecPoolOptions { Size = -1, MaxAgeSeconds = 1, MemoryBudgetMiB = -5, IdleSeconds = -1, IdleSize = 3 };

        var errors = SandboxOptionsValidator.Collect(options);

        Assert.Contains("Sandbox:Pool:MemoryBudgetMiB must be 0 or more (is -1).", errors);
        Assert.Contains(errors, e => e.StartsWith("Sandbox:Pool:RefillIntervalMilliseconds", StringComparison.Ordinal));
        foreach (var setting in new[] { "Size", "MaxAgeSeconds", "MemoryBudgetMiB", "IdleSeconds", "IdleSize" })
        {
            Assert.Contains(errors, e => e.StartsWith($"Sandbox:Pool:Specs:python3:{setting} ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Bind_GatewayJsonSandboxSection_IsValidAndUsesSnakeCaseEnvelopeKeys()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(RepositoryPaths.GatewayJson).Build();
        var options = new SandboxOptions { Envelope = new EnvelopeOptions { MemoryMiB = 1, Pids = 1 } };

        configuration.GetSection(SandboxOptions.SectionName).Bind(options);
        options.SeccompProfile = Path.Combine(RepositoryPaths.Root, options.SeccompProfile);

        Assert.Empty(SandboxOptionsValidator.Collect(options));
        Assert.Equal(512, options.Envelope.MemoryMiB);
        Assert.Equal(128, options.Envelope.Pids);
        Assert.Equal(256, options.Envelope.WorkspaceMiB);
        Assert.Equal(WorkspaceBackendKind.LoopImage, options.WorkspaceBackend);
        Assert.Equal(200_000, options.UidRange.First);
        Assert.Equal(2, options.Pool.Specs["python3"].Size); // the shipped config keeps two python3 sandboxes warm
    }
}
