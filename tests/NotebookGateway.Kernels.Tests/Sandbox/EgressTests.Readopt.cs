using NotebookGateway.Egress.Options;
using NotebookGateway.Egress.Proxy;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Tests.Sandbox;

/// <summary>A kernel with a network policy taken back after its gateway process died: the new process's proxy serves it.</summary>
public sealed partial class EgressTests
{
    [Fact]
    public async Task KernelWithAPolicy_TakenBackAfterACrash_ReachesItsDestinationThroughTheNewProxy()
    {
        var range = new UidRangeOptions { First = 470_000, Count = 1000 };
        var policy = new EgressPolicyOptions { Destinations = [$"127.0.0.1:{H}"] };
        const string Spec = "py-egress-readopt";
        env.WriteSpec(Spec, SandboxEnvironment.PythonArgv, networkPolicy: "test");
        var crashed = await CreateManagerAsync("readopt", policy, sandbox: o => o.UidRange = range);
        var kernel = await crashed.StartKernelAsync(new KernelStartRequest { SpecName = Spec });
        var fetch = $"import urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:{H}/hello', timeout=30).read().decode())";
        var expected = $"{_server.Token} host=127.0.0.1:{H}";
        Assert.Equal(expected, await SandboxEnvironment.RunAsync(kernel, fetch));
        await crashed.AbandonForTestingAsync();
        _managers.Remove(crashed); // the next manager of the same owner disposes what is left

        var next = await CreateManagerAsync("readopt", policy, sandbox: o => o.UidRange = range);

        var back = next.GetKernel(kernel.Id);
        Assert.Equal(SandboxKernelState.Running, back.State);
        Assert.NotNull(back.Egress);
        Assert.Equal(expected, await SandboxEnvironment.RunAsync(back, fetch));
        await RecordsWhenAsync(kernel.Id, l => l.Count(x => x.Decision == EgressRecord.Allowed) >= 2, "an allowed connection through each process's proxy");
    }
}
