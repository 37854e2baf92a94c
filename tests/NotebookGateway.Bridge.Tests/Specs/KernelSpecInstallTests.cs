using System.Text.Json.Nodes;
using NotebookGateway.Bridge.Tests.Support;
using NotebookGateway.Testing;
using Xunit.Abstractions;

namespace NotebookGateway.Bridge.Tests.Specs;

/// <summary>
/// <c>kernelspecs install</c> against the real gateway, checked with <c>jupyter kernelspec list</c>: one kernelspec per
/// gateway spec with the gateway's display name and language and its logos, an argv that names the token file (never
/// the token), and the token kept only in owner-only files.
/// </summary>
[Collection(BridgeCollection.Name)]
public sealed class KernelSpecInstallTests(BridgeFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task InstalledSpecs_AreListedByJupyter_BesideTheLocalOnes()
    {
        string kernelspec = Tools.RequireCommand("jupyter-kernelspec", "jupyter-client");

        ProcessRun list = await BridgeCli.RunProcessAsync(kernelspec, ["list", "--json"], fixture.Environment, fixture.Environment.WorkDirectory, Timeouts.Step);

        var specs = JsonNode.Parse(list.Stdout)!["kernelspecs"]!.AsObject();
        Assert.True(specs.ContainsKey("python3"), "Debian's local python3 kernelspec is missing: " + list.Output);
        JsonNode bridged = specs[BridgeEnvironment.Python3] ?? throw new Xunit.Sdk.XunitException("not listed: " + list.Output);
        Assert.Equal("Python 3 (sandboxed)", bridged["spec"]!["display_name"]!.GetValue<string>());
        Assert.Equal("python", bridged["spec"]!["language"]!.GetValue<string>());
        string directory = bridged["resource_dir"]!.GetValue<string>();
        byte[] logo = await File.ReadAllBytesAsync(Path.Combine(directory, "logo-64x64.png"));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, "kernelspecs", "python3", "logo-64x64.png")), logo);

        string[] argv = bridged["spec"]!["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        Assert.Contains("{connection_file}", argv);
        Assert.Equal(fixture.Environment.TokenFile, argv[Array.IndexOf(argv, "--token-file") + 1]);
        Assert.DoesNotContain(fixture.Gateway.Token, File.ReadAllText(Path.Combine(directory, "kernel.json")), StringComparison.Ordinal);
        Assert.Equal("signal", bridged["spec"]!["interrupt_mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task TokenFromTheEnvironment_IsKeptInAnOwnerOnlyFile_ThatTheSpecNames()
    {
        string prefix = fixture.Environment.Combine("env-prefix");
        ProcessRun run = await BridgeCli.RunProcessAsync("dotnet",
            [BridgeCli.Dll, "kernelspecs", "install", "--url", fixture.Gateway.BaseUri.AbsoluteUri, "--prefix", prefix],
            fixture.Environment, fixture.Environment.WorkDirectory, Timeouts.Step, new Dictionary<string, string> { ["NBGW_TOKEN"] = fixture.Gateway.Token });
        output.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, run.Output);

        string kernelJson = File.ReadAllText(Path.Combine(prefix, "share", "jupyter", "kernels", BridgeEnvironment.Python3, "kernel.json"));
        string[] argv = JsonNode.Parse(kernelJson)!["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        string tokenFile = argv[Array.IndexOf(argv, "--token-file") + 1];
        Assert.StartsWith(Path.Combine(fixture.Environment.Combine("data"), "notebookgateway"), tokenFile, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        Assert.Equal(fixture.Gateway.Token, File.ReadAllText(tokenFile).Trim());
        Assert.DoesNotContain(fixture.Gateway.Token, kernelJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenFileReadableByOthers_IsRefused_WithTheFix()
    {
        string tokenFile = fixture.Environment.Combine("shared.token");
        await File.WriteAllTextAsync(tokenFile, fixture.Gateway.Token);
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        ProcessRun run = await BridgeCli.RunAsync(fixture.Environment,
            ["kernelspecs", "install", "--url", fixture.Gateway.BaseUri.AbsoluteUri, "--token-file", tokenFile, "--prefix", fixture.Environment.Combine("refused")]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"chmod 600 {tokenFile}", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(fixture.Environment.Combine("refused")));
    }

    [Fact]
    public async Task WrongToken_FailsWithTheGatewaysAnswer()
    {
        string tokenFile = fixture.Environment.Combine("bad-install.token");
        NotebookGateway.Bridge.Gateway.TokenFile.Write(tokenFile, "wrong-token-0123456789abcdef");

        ProcessRun run = await BridgeCli.RunAsync(fixture.Environment,
            ["kernelspecs", "install", "--url", fixture.Gateway.BaseUri.AbsoluteUri, "--token-file", tokenFile, "--prefix", fixture.Environment.Combine("unauthorized")]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("answered 401 Unauthorized", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishedBridge_FromSetup_InstallsSpecsThatNameItself()
    {
        string published = Path.Combine(RepositoryPaths.Root, "artifacts", "bridge", "NotebookGateway.Bridge.dll");
        Assert.True(File.Exists(published), $"The published bridge is missing ({published}): run bash scripts/setup.sh");
        string prefix = fixture.Environment.Combine("published-prefix");

        ProcessRun run = await BridgeCli.RunProcessAsync("dotnet",
            [published, "kernelspecs", "install", "--url", fixture.Gateway.BaseUri.AbsoluteUri, "--token-file", fixture.Environment.TokenFile, "--prefix", prefix],
            fixture.Environment, fixture.Environment.WorkDirectory, Timeouts.Step);

        Assert.True(run.ExitCode == 0, run.Output);
        var argv = JsonNode.Parse(File.ReadAllText(Path.Combine(prefix, "share", "jupyter", "kernels", BridgeEnvironment.Python3, "kernel.json")))!["argv"]!.AsArray();
        Assert.Equal(published, argv[1]!.GetValue<string>());
        Assert.True(File.Exists(argv[0]!.GetValue<string>()), $"argv[0] is not the dotnet host: {argv[0]}");
    }
}
