using System.Text.Json.Nodes;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Tests.Sandbox;

public sealed class SeccompProfileTests
{
    [Fact]
    public async Task Load_RepositoryProfile_IsCompactAndNativeOnly()
    {
        var profile = await SeccompProfile.LoadAsync(RepositoryPaths.SeccompProfile);

        Assert.Equal(["SCMP_ARCH_X86_64"], profile.Architectures);
        Assert.DoesNotContain('\n', profile.Json);
        Assert.StartsWith("seccomp={", profile.SecurityOpt, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AllowByDefault_IsRefused()
    {
        Assert.Throws<InvalidDataException>(() => SeccompProfile.Parse("""{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO"}]}"""u8));
    }

    [Fact]
    public async Task ForGVisor_OnlyErrnoOverrides_BecomeAllows()
    {
        var profile = await SeccompProfile.LoadAsync(RepositoryPaths.SeccompProfile);

        var gvisor = JsonNode.Parse(profile.ForGVisor().Json)!;
        var original = JsonNode.Parse(profile.Json)!;

        JsonNode? Rule(JsonNode root, string name) => root["syscalls"]!.AsArray().First(r => r!["names"]!.AsArray().Any(n => n!.GetValue<string>() == name));
        Assert.Equal("SCMP_ACT_ERRNO", Rule(original, "clone3")!["action"]!.GetValue<string>());
        Assert.Equal("SCMP_ACT_ALLOW", Rule(gvisor, "clone3")!["action"]!.GetValue<string>());
        Assert.Equal("SCMP_ACT_ALLOW", Rule(gvisor, "sync")!["action"]!.GetValue<string>());
        Assert.Equal(original["defaultAction"]!.GetValue<string>(), gvisor["defaultAction"]!.GetValue<string>());
        Assert.Equal(original["architectures"]!.ToJsonString(), gvisor["architectures"]!.ToJsonString());
        Assert.Equal(original["syscalls"]!.AsArray().Count, gvisor["syscalls"]!.AsArray().Count);
        Assert.DoesNotContain(gvisor["syscalls"]!.AsArray(), r => r!["names"]!.AsArray().Any(n => n!.GetValue<string>() is "io_uring_setup" or "ptrace" or "unshare"));
    }
}
