using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using NotebookGateway.Bridge.Tests.Support;
using Xunit.Abstractions;

namespace NotebookGateway.Bridge.Tests.Kernel;

/// <summary>
/// What a user sees in the tool when the gateway gives no kernel: the kernel still starts (so the tool does not hang
/// or retry), its banner and every cell carry the gateway's message, and the bridge says it once on stderr.
/// </summary>
[Collection(BridgeCollection.Name)]
public sealed class GatewayErrorTests(BridgeFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<ToolDriver> _drivers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (ToolDriver driver in _drivers)
        {
            output.WriteLine("--- tool driver and bridge output ---\n" + driver.Log);
            await driver.DisposeAsync();
        }
    }

    [Fact]
    public async Task GatewayUnreachable_IsShownInTheCell()
    {
        string spec = Variant("unreachable", argv => Replace(argv, "--url", $"http://127.0.0.1:{ClosedPort()}/"));
        await ExpectErrorAsync(spec, "cannot reach the gateway");
    }

    [Fact]
    public async Task BadToken_IsShownInTheCell()
    {
        string tokenFile = fixture.Environment.Combine("wrong.token");
        NotebookGateway.Bridge.Gateway.TokenFile.Write(tokenFile, "not-the-token-0123456789");
        string spec = Variant("badtoken", argv => Replace(argv, "--token-file", tokenFile));
        await ExpectErrorAsync(spec, "answered 401 Unauthorized");
    }

    [Fact]
    public async Task TokenFileReadableByOthers_IsShownInTheCell()
    {
        string tokenFile = fixture.Environment.Combine("open.token");
        await File.WriteAllTextAsync(tokenFile, fixture.Gateway.Token);
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        string spec = Variant("opentoken", argv => Replace(argv, "--token-file", tokenFile));
        await ExpectErrorAsync(spec, "chmod 600 " + tokenFile);
    }

    [Fact]
    public async Task UnknownSpec_IsShownInTheCell()
    {
        string spec = Variant("unknown", argv => Replace(argv, "--spec", "nosuchspec"));
        await ExpectErrorAsync(spec, "answered 404 Not Found: Kernel spec nosuchspec not found");
    }

    [Fact]
    public async Task QuotaRefusal_IsShownInTheCell_WithTheGatewaysMessage()
    {
        string spec = await InstallForUserAsync("quota", BridgeFixture.QuotaUserToken);
        ToolDriver first = Driver();
        await first.StartKernelAsync(spec); // the user's one kernel

        await ExpectErrorAsync(spec, "answered 403 Forbidden: ");
        await first.SendAsync(new JsonObject { ["op"] = "shutdown" });
    }

    [Fact]
    public async Task RateRefusal_IsShownInTheCell_WithWhenToRetry()
    {
        string spec = await InstallForUserAsync("rate", BridgeFixture.RateUserToken);
        ToolDriver first = Driver();
        await first.StartKernelAsync(spec); // the one start of this minute

        await ExpectErrorAsync(spec, "answered 429 Too Many Requests: ", "Try again in");
        await first.SendAsync(new JsonObject { ["op"] = "shutdown" });
    }

    private async Task ExpectErrorAsync(string spec, params string[] fragments)
    {
        ToolDriver tool = Driver();
        await tool.StartKernelAsync(spec);

        JsonObject info = await tool.SendAsync(new JsonObject { ["op"] = "kernel_info" });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonObject cell = await tool.ExecuteAsync("print('never runs')");
        JsonObject again = await tool.ExecuteAsync("1");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the error took {clock.Elapsed} to show");
        Assert.Equal("python", info["language"]!.GetValue<string>());
        Assert.Equal("error", cell["status"]!.GetValue<string>());
        Assert.Equal("NotebookGatewayError", cell["ename"]!.GetValue<string>());
        Assert.Equal("", cell["stdout"]!.GetValue<string>());
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, info["banner"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains(fragment, cell["evalue"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains(fragment, cell["stderr"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Equal(cell["evalue"]!.GetValue<string>(), again["evalue"]!.GetValue<string>());
        // Once on the bridge's stderr (the tool's log or terminal), not once per request or retry.
        Assert.Single(tool.Log.Split('\n'), l => l.StartsWith("[err] NotebookGateway bridge: ", StringComparison.Ordinal));
    }

    private ToolDriver Driver()
    {
        ToolDriver driver = ToolDriver.Start(fixture.Environment);
        _drivers.Add(driver);
        return driver;
    }

    /// <summary>A copy of the installed bridged python3 kernelspec with its argv edited.</summary>
    private string Variant(string name, Func<List<string>, List<string>> edit)
    {
        string source = Path.Combine(fixture.Environment.KernelsDirectory, BridgeEnvironment.Python3, "kernel.json");
        var spec = JsonNode.Parse(File.ReadAllText(source))!.AsObject();
        List<string> argv = edit(spec["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToList());
        spec["argv"] = new JsonArray([.. argv.Select(a => (JsonNode)JsonValue.Create(a)!)]);
        string local = $"{name}-python3";
        string directory = Path.Combine(fixture.Environment.KernelsDirectory, local);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "kernel.json"), spec.ToJsonString());
        return local;
    }

    private async Task<string> InstallForUserAsync(string user, string token)
    {
        string tokenFile = fixture.Environment.Combine($"{user}.token");
        NotebookGateway.Bridge.Gateway.TokenFile.Write(tokenFile, token);
        ProcessRun run = await BridgeCli.RunAsync(fixture.Environment,
            ["kernelspecs", "install", "--url", fixture.Gateway.BaseUri.AbsoluteUri, "--token-file", tokenFile, "--prefix", fixture.Environment.Prefix, "--name-prefix", user + "-"]);
        Assert.True(run.ExitCode == 0, run.Output);
        return $"{user}-python3";
    }

    private static List<string> Replace(List<string> argv, string option, string value)
    {
        int index = argv.IndexOf(option);
        Assert.True(index >= 0, $"{option} not in {string.Join(' ', argv)}");
        argv[index + 1] = value;
        return argv;
    }

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port; // closed again when the probe is disposed
    }
}
