using System.Diagnostics;
using NotebookGateway.Testing;

namespace NotebookGateway.Bridge.Tests.Support;

/// <summary>
/// A private Jupyter setup for the tools under test: its own data, runtime and config directories (nothing of the real
/// user's is read or written), the gateway token in an owner-only file, and the bridged kernelspecs installed with
/// <c>kernelspecs install --prefix</c> into a prefix that <c>JUPYTER_PATH</c> names, beside Debian's local python3.
/// </summary>
public sealed class BridgeEnvironment : IDisposable
{
    /// <summary>The local name of the gateway's python3 spec after install (the default name prefix).</summary>
    public const string Python3 = "sandboxed-python3";

    private readonly TempDirectory _root;

    public BridgeEnvironment(GatewayProcess gateway, string prefix = "nbgw-br")
    {
        Gateway = gateway;
        _root = new TempDirectory(prefix);
        Directory.CreateDirectory(Combine("prefix"));
        Directory.CreateDirectory(Combine("data"));
        Directory.CreateDirectory(Combine("runtime"));
        Directory.CreateDirectory(Combine("config"));
        Directory.CreateDirectory(Combine("work"));
        TokenFile = Combine("gateway.token");
        NotebookGateway.Bridge.Gateway.TokenFile.Write(TokenFile, gateway.Token);
    }

    public GatewayProcess Gateway { get; }

    public string Root => _root.Path;

    public string TokenFile { get; }

    public string Prefix => Combine("prefix");

    public string KernelsDirectory => Path.Combine(Prefix, "share", "jupyter", "kernels");

    /// <summary>A directory for the tools to run in (and so the kernels' working directory).</summary>
    public string WorkDirectory => Combine("work");

    public string Combine(string name) => Path.Combine(Root, name);

    /// <summary>The environment of a tool process: the private Jupyter directories, the bridge logging to stderr.</summary>
    public void Apply(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("NBGW_", StringComparison.Ordinal) || k.StartsWith("JUPYTER", StringComparison.Ordinal) || k == "JPY_SESSION_NAME").ToList())
        {
            start.Environment.Remove(name);
        }
        start.Environment["JUPYTER_PATH"] = Path.Combine(Prefix, "share", "jupyter");
        start.Environment["JUPYTER_DATA_DIR"] = Combine("data");
        start.Environment["JUPYTER_RUNTIME_DIR"] = Combine("runtime");
        start.Environment["JUPYTER_CONFIG_DIR"] = Combine("config");
        start.Environment["IPYTHONDIR"] = Combine("ipython");
        start.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1";
        start.Environment["NBGW_BRIDGE_LOG_LEVEL"] = "Information";
        start.Environment["PYTHONWARNINGS"] = "ignore";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
    }

    public IReadOnlyDictionary<string, string> Variables()
    {
        var start = new ProcessStartInfo();
        start.Environment.Clear();
        Apply(start);
        return start.Environment.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value!, StringComparer.Ordinal);
    }

    /// <summary>Installs the gateway's kernelspecs with the bridge under test; fails with its output otherwise.</summary>
    public async Task InstallAsync(params string[] extraArguments)
    {
        ProcessRun run = await BridgeCli.RunAsync(this,
            ["kernelspecs", "install", "--url", Gateway.BaseUri.AbsoluteUri, "--token-file", TokenFile, "--prefix", Prefix, .. extraArguments]);
        Assert.True(run.ExitCode == 0, $"kernelspecs install failed ({run.ExitCode}):\n{run.Output}");
    }

    public void Dispose() => _root.Dispose();
}
