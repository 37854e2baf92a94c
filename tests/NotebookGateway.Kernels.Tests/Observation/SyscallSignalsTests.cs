using System.Text;
using NotebookGateway.Kernels.Observation;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Testing;

namespace NotebookGateway.Kernels.Tests.Observation;

public sealed class SyscallSignalsTests
{
    [Fact]
    public async Task WithTheProjectsProfile_EveryWatchedSyscallIsOneTheProfileDenies()
    {
        var profile = await SeccompProfile.LoadAsync(RepositoryPaths.SeccompProfile);
        var signals = new SyscallSignals(profile);
        Assert.Contains("ptrace", signals.WatchedNames);
        Assert.Contains("unshare", signals.WatchedNames);
        Assert.Contains("mount", signals.WatchedNames);
        Assert.All(signals.WatchedNames, name => Assert.False(profile.MayAllow(name), $"{name} is allowed by the profile"));

        IReadOnlyList<string> prefix = signals.CommandPrefix(logNetworkSockets: true);
        Assert.Equal([SyscallSignals.Program], prefix.Take(1));
        Assert.Equal("2,10", prefix[2]);  // AF_INET, AF_INET6: allowed, logged
        Assert.Equal("17", prefix[3]);    // AF_PACKET: denied, logged
        Assert.Equal("--", prefix[^1]);
        Assert.Equal("-", signals.CommandPrefix(logNetworkSockets: false)[2]);
    }

    [Fact]
    public void ASyscallTheProfileAllows_IsNotWatched_SoTheHelperNeverDeniesIt()
    {
        const string json = """
            {"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
              {"names":["read","ptrace"],"action":"SCMP_ACT_ALLOW"},
              {"names":["mount"],"action":"SCMP_ACT_ERRNO"},
              {"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}
            """;
        var signals = new SyscallSignals(SeccompProfile.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.DoesNotContain("ptrace", signals.WatchedNames);
        Assert.Contains("mount", signals.WatchedNames);
        Assert.DoesNotContain("101", signals.CommandPrefix(true)[1].Split(','));
        Assert.Equal("-", signals.CommandPrefix(true)[2]); // inet sockets are not allowed at all here: nothing to log
    }

    [Fact]
    public async Task Classify_NamesTheKind()
    {
        var signals = new SyscallSignals(await SeccompProfile.LoadAsync(RepositoryPaths.SeccompProfile));
        Assert.Equal(SignalKinds.Ptrace, signals.Classify(101, denied: true)?.Kind);
        Assert.Equal(SignalKinds.Namespace, signals.Classify(308, denied: true)?.Kind);
        Assert.Equal(SignalKinds.NetworkSocket, signals.Classify(SyscallSignals.SocketSyscall, denied: false)?.Kind);
        Assert.Null(signals.Classify(39, denied: true)); // getpid: not one of ours
    }
}
