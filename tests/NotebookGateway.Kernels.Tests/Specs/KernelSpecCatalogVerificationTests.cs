using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Kernels.Specs;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace NotebookGateway.Kernels.Tests.Specs;

/// <summary>
/// Issue 10's capability detection, against the real engine and the images scripts/build-images.sh built: a spec is
/// served only when its image carries a build-time verification of its kernel (argv, language, transport).
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class KernelSpecCatalogVerificationTests(SandboxEnvironment env)
{
    [Fact]
    public async Task Catalog_ServesOnlySpecsTheirImageVerified_AndSaysWhyOthersAreLeftOut()
    {
        env.WriteSpec("verified-py", SandboxEnvironment.PythonArgv);
        env.WriteSpec("unverified-argv", ["python3", "-I", "-m", "ipykernel_launcher", "-f", "{connection_file}"]);
        env.WriteSpec("unverified-language", SandboxEnvironment.PythonArgv, language: "ruby");

        using var strict = new KernelSpecCatalog(env.Docker, MsOptions.Create(env.CreateOptions("verify", o => o.RequireVerifiedImages = true)),
            NullLogger<KernelSpecCatalog>.Instance);
        KernelSpecSnapshot snapshot = await strict.RefreshAsync();

        KernelSpec verified = snapshot.Available["verified-py"];
        Assert.NotNull(verified.Verified);
        Assert.Equal("python", verified.Verified.LanguageInfo["name"]?.GetValue<string>());
        Assert.Matches(@"^3\.\d+", verified.Verified.LanguageVersion);
        Assert.NotNull(snapshot.Available["python3"].Verified); // the repository's own spec
        foreach (string name in new[] { "unverified-argv", "unverified-language" })
        {
            Assert.False(snapshot.Available.ContainsKey(name), name);
            Assert.Contains("no build-time verification", snapshot.Unavailable[name], StringComparison.Ordinal);
        }

        using var lenient = new KernelSpecCatalog(env.Docker, MsOptions.Create(env.CreateOptions("verify-off", o => o.RequireVerifiedImages = false)),
            NullLogger<KernelSpecCatalog>.Instance);
        KernelSpecSnapshot all = await lenient.RefreshAsync();
        Assert.Null(all.Available["unverified-argv"].Verified);
        Assert.NotNull(all.Available["verified-py"].Verified);
    }
}
