using System.Diagnostics;

namespace NotebookGateway.Bridge.Tests.Support;

/// <summary>A terminal program run in a detached tmux session (its own server socket): keys typed, the screen read.</summary>
internal sealed class Tmux : IAsyncDisposable
{
    private readonly string _tmux;
    private readonly string _socket;
    private readonly BridgeEnvironment _environment;

    private Tmux(string tmux, string socket, BridgeEnvironment environment)
    {
        _tmux = tmux;
        _socket = socket;
        _environment = environment;
    }

    public static async Task<Tmux> StartAsync(BridgeEnvironment environment, string command)
    {
        string tmux = Tools.RequireCommand("tmux", "tmux");
        var session = new Tmux(tmux, Path.Combine(environment.Root, "tmux-" + Guid.NewGuid().ToString("N")[..8]), environment);
        // The environment reaches the program through tmux's own (new server, so it inherits ours).
        ProcessRun run = await session.RunAsync(["new-session", "-d", "-s", "t", "-x", "160", "-y", "50", command]);
        Assert.True(run.ExitCode == 0, $"tmux new-session failed: {run.Output}");
        return session;
    }

    public async Task SendKeysAsync(params string[] keys)
    {
        ProcessRun run = await RunAsync(["send-keys", "-t", "t", .. keys]);
        Assert.True(run.ExitCode == 0, $"tmux send-keys failed: {run.Output}");
    }

    public async Task<string> ScreenAsync()
    {
        ProcessRun run = await RunAsync(["capture-pane", "-p", "-J", "-S", "-200", "-t", "t"]);
        return run.Stdout;
    }

    /// <summary>Polls the screen until <paramref name="done"/> holds; fails with the screen otherwise.</summary>
    public async Task<string> WaitForScreenAsync(Func<string, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        string screen = "";
        while (clock.Elapsed < timeout)
        {
            screen = await ScreenAsync();
            if (done(screen))
            {
                return screen;
            }
            await Task.Delay(200); // polling the screen with a deadline
        }
        Assert.Fail($"{what}: not on the screen within {timeout.TotalSeconds:0} s:\n{screen}");
        return screen;
    }

    public async ValueTask DisposeAsync() => await RunAsync(["kill-server"]);

    private Task<ProcessRun> RunAsync(IEnumerable<string> arguments) =>
        BridgeCli.RunProcessAsync(_tmux, ["-S", _socket, .. arguments], _environment, _environment.WorkDirectory, Timeouts.Short);
}
