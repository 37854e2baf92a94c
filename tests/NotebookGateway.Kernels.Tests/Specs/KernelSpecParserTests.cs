using System.Text;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Specs;

namespace NotebookGateway.Kernels.Tests.Specs;

public sealed class KernelSpecParserTests
{
    private static KernelSpec Parse(string json) =>
        KernelSpecParser.Parse("test", "/nonexistent", Encoding.UTF8.GetBytes(json), new EnvelopeOptions());

    [Fact]
    public async Task Load_RepositoryPython3Spec_ReadsStandardFieldsAndSandbox()
    {
        var spec = await KernelSpecParser.LoadAsync(Path.Combine(RepositoryPaths.KernelSpecs, "python3"), new EnvelopeOptions());

        Assert.Equal("python3", spec.Name);
        Assert.Equal("python", spec.Language);
        Assert.Equal(InterruptMode.Signal, spec.InterruptMode);
        Assert.Equal("notebookgateway/sandbox-python:latest", spec.Sandbox.Image);
        Assert.Null(spec.Sandbox.Runtime);
        Assert.Equal(512, spec.Sandbox.Envelope.MemoryMiB);
        Assert.Contains("logo-64x64.png", spec.Resources.Keys);
        Assert.Equal(["python3", "-m", "ipykernel_launcher", "-f", "/kernel/connection.json"], spec.ArgvFor("/kernel/connection.json"));
    }

    [Fact]
    public void Parse_EnvelopeOverrides_ReplaceOnlyTheGivenDefaults()
    {
        var spec = Parse("""
            {"argv": ["k", "{connection_file}"], "display_name": "K", "language": "python", "interrupt_mode": "message",
             "env": {"A": "1"},
             "metadata": {"notebookgateway": {"image": "img:1", "runtime": "runsc", "envelope": {"memory_mib": 1024, "cpus": 0.5}}}}
            """);
        var defaults = new EnvelopeOptions();

        Assert.Equal(1024, spec.Sandbox.Envelope.MemoryMiB);
        Assert.Equal(0.5, spec.Sandbox.Envelope.Cpus);
        Assert.Equal(500_000_000, spec.Sandbox.Envelope.NanoCpus);
        Assert.Equal(defaults.Pids, spec.Sandbox.Envelope.Pids);
        Assert.Equal(defaults.TmpMiB, spec.Sandbox.Envelope.TmpMiB);
        Assert.Equal("runsc", spec.Sandbox.Runtime);
        Assert.Equal(InterruptMode.Message, spec.InterruptMode);
        Assert.Equal("1", spec.Env["A"]);
    }

    [Fact]
    public void Parse_WithoutSandboxMetadata_IsRefused()
    {
        var ex = Assert.Throws<KernelSpecException>(() => Parse("""{"argv": ["python3"], "display_name": "P", "language": "python"}"""));

        Assert.Contains("metadata.notebookgateway is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralMistakes_ListsEveryError()
    {
        var ex = Assert.Throws<KernelSpecException>(() => Parse("""
            {"argv": ["k", "{resource_dir}/x"], "display_name": "K", "language": "python", "interrupt_mode": "telepathy",
             "metadata": {"notebookgateway": {"image": "img", "colour": "red", "envelope": {"memory_mib": 128, "tmp_mib": 100, "swap_mib": 1}}}}
            """));

        Assert.Contains(ex.Errors, e => e.Contains("{resource_dir}", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("interrupt_mode", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("colour", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("swap_mib", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("tmp_mib + shm_mib", StringComparison.Ordinal));
    }
}
