using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using NotebookGateway.Docker;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Models;

namespace NotebookGateway.Testing;

/// <summary>
/// The real gateway as an operator runs it, and the only place that knows how:
/// <c>dotnet src/NotebookGateway.Server/bin/Release/net10.0/NotebookGateway.Server.dll --config &lt;copy of gateway.json&gt;</c>
/// in the repository root, with <c>NBGW_Gateway__Listen=127.0.0.1:&lt;free port&gt;</c>, a random
/// <c>NBGW_Gateway__Token</c>, and its own sandbox owner and host roots so it never touches another gateway's kernels.
/// Ready when it prints <c>NotebookGateway is listening on http://127.0.0.1:&lt;port&gt;/</c>; stopped with SIGTERM.
/// Everything it prints is kept for failure messages.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private IReadOnlyDictionary<string, string> _settings = new Dictionary<string, string>();
    private GatewayProcess? _successor;

    private const int MaxKeptLines = 20_000;
    private const int PortAttempts = 3;

    private static readonly string s_runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private static int s_instances;

    private readonly Process _process;
    private readonly TempDirectory _root;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _droppedLines;
    private GatewayExit? _exit;

    private GatewayProcess(Process process, TempDirectory root, string token, string owner, int port)
    {
        _process = process;
        _root = root;
        Token = token;
        Owner = owner;
        Port = port;
        Http = CreateHttpClient(token);
    }

    /// <summary>The printed base URL, e.g. <c>http://127.0.0.1:41234/</c> (with the base path when one is configured).</summary>
    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");

    public string Token { get; }

    /// <summary>The sandbox owner label of this gateway's containers.</summary>
    public string Owner { get; }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Sends <c>Authorization: token &lt;Token&gt;</c>.</summary>
    public HttpClient Http { get; }

    /// <summary>Number of output lines so far; pass it to <see cref="OutputSince"/> to get what one test caused.</summary>
    public int OutputLineCount
    {
        get
        {
            lock (_lines)
            {
                return _droppedLines + _lines.Count;
            }
        }
    }

    /// <summary>Starts a gateway and waits for its "listening" line.</summary>
    /// <param name="settings">Configuration overrides (<c>Gateway:BaseUrl</c> → <c>NBGW_Gateway__BaseUrl</c>); see <see cref="GatewaySettings"/>.</param>
    public static async Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        if (!File.Exists(RepositoryPaths.GatewayDll))
        {
            throw new InvalidOperationException(
                $"The gateway's Release build is missing ({RepositoryPaths.GatewayDll}): run bash scripts/setup.sh");
        }

        for (int attempt = 1; ; attempt++)
        {
            GatewayProcess gateway = Launch(settings ?? new Dictionary<string, string>());
            try
            {
                await gateway.WaitUntilListeningAsync(TestTimeouts.GatewayStart);
                return gateway;
            }
            catch (GatewayStartException) when (attempt < PortAttempts && gateway.HasExited && gateway.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // Another process took the free port between probing and binding: try another one.
                await gateway.DisposeAsync();
            }
            catch
            {
                await gateway.DisposeAsync();
                throw;
            }
        }
    }

    private static GatewayProcess Launch(IReadOnlyDictionary<string, string> settings, GatewayProcess? predecessor = null)
    {
        int instance = Interlocked.Increment(ref s_instances);
        string owner = predecessor?.Owner ?? $"st-{s_runId}-{instance}";
        var root = predecessor?._root ?? new TempDirectory($"nbgw-st-{s_runId}-{instance}");
        string config = root.Combine("gateway.json");
        if (predecessor is null)
        {
            File.Copy(RepositoryPaths.GatewayJson, config);
        }
        string token = predecessor?.Token ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        int port = predecessor?.Port ?? LoopbackPorts.Free();

        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { RepositoryPaths.GatewayDll, "--config", config },
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // Nothing from the developer's shell may reconfigure the gateway under test.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("NBGW_", StringComparison.Ordinal) || k is "ASPNETCORE_URLS" or "DOTNET_URLS").ToList())
        {
            start.Environment.Remove(name);
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [GatewaySettings.Listen] = $"127.0.0.1:{port}",
            [GatewaySettings.Token] = token,
            [GatewaySettings.SandboxOwner] = owner,
            [GatewaySettings.SandboxSocketRoot] = root.Combine("sockets"),
            [GatewaySettings.SandboxWorkspaceRoot] = root.Combine("workspaces"),
            [GatewaySettings.SandboxStateRoot] = root.Combine("state"),
            // A collection's tests all act as one user, far faster than any person: the per-user rates of gateway.json
            // would refuse them at random depending on test order. Rate-limit tests set per-user limits of their own.
            ["RateLimits:KernelStartsPerMinute"] = "0",
            ["RateLimits:ExecuteRequestsPerMinute"] = "0",
            ["RateLimits:WebSocketConnectionsPerMinute"] = "0",
            ["RateLimits:ConcurrentWebSockets"] = "0",
            // Warm starts are tested by fixtures that ask for a pool; the others count and time cold starts.
            ["Sandbox:Pool:Specs:python3:Size"] = "0",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }
        foreach (var (key, value) in values)
        {
            start.Environment[GatewaySettings.EnvironmentVariable(key)] = value;
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var gateway = new GatewayProcess(process, root, token, owner, port) { _settings = settings };
        process.OutputDataReceived += (_, e) => gateway.OnLine(e.Data, "out");
        process.ErrorDataReceived += (_, e) => gateway.OnLine(e.Data, "err");
        gateway.Record($"[harness] starting gateway: owner {owner}, port {port}, config {config}, " +
                       string.Join(' ', values.Keys.Where(k => k != GatewaySettings.Token).Select(k => $"{GatewaySettings.EnvironmentVariable(k)}={values[k]}")));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        s_live.Add(gateway);
        return gateway;
    }

    private async Task WaitUntilListeningAsync(TimeSpan timeout)
    {
        Task exited = _process.WaitForExitAsync();
        Task finished = await Task.WhenAny(_listening.Task, exited, Task.Delay(timeout));
        if (finished == _listening.Task)
        {
            BaseUri = await _listening.Task;
            if (BaseUri.Port != Port || BaseUri.Host != "127.0.0.1")
            {
                throw new GatewayStartException($"The gateway listens on {BaseUri}, not on the port it was given ({Port}).\n{Output}");
            }
            return;
        }

        if (finished == exited)
        {
            // The exit can overtake the last output lines; WaitForExit() without a timeout drains them.
            _process.WaitForExit();
            throw new GatewayStartException($"The gateway exited with code {_process.ExitCode} before it was listening.\n{Output}");
        }

        throw new GatewayStartException($"The gateway did not print \"NotebookGateway is listening on ...\" within {timeout.TotalSeconds:0} s.\n{Output}");
    }

    /// <summary>
    /// SIGTERM, then waits up to 30 s for the exit (SIGKILL after that). Throws <see cref="GatewayStopException"/> when the
    /// process did not exit in time or exited with a non-zero code. Containers left behind with this gateway's owner label
    /// are removed afterwards and reported in the result.
    /// </summary>
    public async Task<GatewayExit> StopAsync()
    {
        if (_exit is not null)
        {
            return _exit;
        }
        if (_successor is not null)
        {
            throw new InvalidOperationException("This gateway was restarted: stop its successor.");
        }

        bool wasRunning = !_process.HasExited;
        bool exitedInTime = true;
        var stopwatch = Stopwatch.StartNew();
        if (wasRunning)
        {
            Record("[harness] sending SIGTERM");
            try
            {
                TestLibC.Kill(_process.Id, TestLibC.SIGTERM);
            }
            catch (IOException) when (_process.HasExited)
            {
                // Exited on its own meanwhile.
            }

            using var timeout = new CancellationTokenSource(TestTimeouts.GatewayStop);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                exitedInTime = false;
                Record($"[harness] no exit within {TestTimeouts.GatewayStop.TotalSeconds:0} s of SIGTERM: killing");
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.WaitForExit(); // drains the redirected output

        IReadOnlyList<ContainerSummary> leftovers = await RemoveLeftoverContainersAsync();
        _exit = new GatewayExit(_process.ExitCode, stopwatch.Elapsed, leftovers);
        Http.Dispose();
        _root.Dispose();
        s_live.Remove(gateway: this);

        if (!wasRunning)
        {
            throw new GatewayStopException($"The gateway had already exited (code {_process.ExitCode}) before it was stopped.\n{Output}");
        }
        if (!exitedInTime)
        {
            throw new GatewayStopException($"The gateway did not exit within {TestTimeouts.GatewayStop.TotalSeconds:0} s of SIGTERM.\n{Output}");
        }
        if (_process.ExitCode != 0)
        {
            throw new GatewayStopException($"The gateway exited with code {_process.ExitCode} after SIGTERM.\n{Output}");
        }
        return _exit;
    }

    public async ValueTask DisposeAsync()
    {
        if (_successor is not null)
        {
            return; // the successor owns the directory and the kernels now
        }
        try
        {
            await StopAsync();
        }
        catch (GatewayStopException)
        {
            // Disposal is cleanup; tests that care call StopAsync and see the exception.
        }
    }

    /// <summary>Everything printed so far (the last 20,000 lines).</summary>
    public string Output => OutputSince(0);

    public string OutputSince(int mark)
    {
        lock (_lines)
        {
            int skip = Math.Max(0, mark - _droppedLines);
            return string.Join('\n', _lines.Skip(skip));
        }
    }

    /// <summary>The last <paramref name="count"/> lines, for assertion messages.</summary>
    public string RecentOutput(int count = 80)
    {
        lock (_lines)
        {
            return string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - count)));
        }
    }

    /// <summary>A client for this gateway with the given token (null = none).</summary>
    public HttpClient CreateHttpClient(string? token)
    {
        var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            Timeout = TestTimeouts.KernelStart + TestTimeouts.Step,
        };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
        }
        return client;
    }

    /// <summary>An absolute URL under the gateway's base URL, e.g. <c>Url("api/kernels")</c>.</summary>
    public Uri Url(string relative) => new(BaseUri, relative);

    /// <summary><c>ws://127.0.0.1:port/&lt;base&gt;api/kernels/&lt;id&gt;/channels?session_id=...&amp;token=...</c>.</summary>
    public Uri ChannelsUri(string kernelId, string? sessionId, string? queryToken)
    {
        var query = new List<string>();
        if (sessionId is not null)
        {
            query.Add("session_id=" + Uri.EscapeDataString(sessionId));
        }
        if (queryToken is not null)
        {
            query.Add("token=" + Uri.EscapeDataString(queryToken));
        }
        var builder = new UriBuilder(Url($"api/kernels/{Uri.EscapeDataString(kernelId)}/channels"))
        {
            Scheme = "ws",
            Query = string.Join('&', query),
        };
        return builder.Uri;
    }

    /// <summary>From the process start to its "listening" line (kernels taken back after a restart are in it).</summary>
    public TimeSpan StartupDuration { get; private set; }

    private readonly Stopwatch _sinceLaunch = Stopwatch.StartNew();

    private void OnLine(string? line, string stream)
    {
        if (line is null)
        {
            return;
        }
        Record($"[{stream}] {line}");
        Match match = ListeningLine().Match(line);
        if (match.Success && _listening.TrySetResult(new Uri(match.Groups["url"].Value)))
        {
            StartupDuration = _sinceLaunch.Elapsed;
        }
    }

    private void Record(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            if (_lines.Count > MaxKeptLines)
            {
                _lines.RemoveAt(0);
                _droppedLines++;
            }
        }
    }

    /// <summary>The engine the gateway was told to use (<c>Sandbox:Engine</c>, <c>Sandbox:EngineSocket</c>).</summary>
    public string EngineSocket =>
        _settings.TryGetValue("Sandbox:EngineSocket", out var socket) && socket.Length > 0 ? socket
        : _settings.TryGetValue("Sandbox:Engine", out var engine) && engine.Equals("Podman", StringComparison.OrdinalIgnoreCase) ? TestEngine.PodmanSocket
        : DockerClientOptions.DefaultSocketPath;

    private async Task<IReadOnlyList<ContainerSummary>> RemoveLeftoverContainersAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TestTimeouts.Step);
            await using var docker = await DockerClient.ConnectAsync(new DockerClientOptions { SocketPath = EngineSocket }, cancellationToken: timeout.Token);
            var containers = await docker.Containers.ListAsync(
                new ContainerListParameters { All = true, Filters = new DockerFilters().Label("org.notebookgateway.owner", Owner) }, timeout.Token);
            foreach (ContainerSummary container in containers)
            {
                await docker.Containers.RemoveAsync(container.Id, force: true, cancellationToken: timeout.Token);
            }
            if (containers.Count > 0)
            {
                Record($"[harness] removed {containers.Count} container(s) the gateway left behind: {string.Join(' ', containers.Select(c => $"{c.Id} ({c.State})"))}");
            }
            return containers;
        }
        catch (Exception ex) when (ex is DockerException or OperationCanceledException or HttpRequestException or IOException)
        {
            Record($"[harness] could not check for leftover containers: {ex.Message}");
            return [];
        }
    }

    [GeneratedRegex(@"NotebookGateway is listening on (?<url>http://\S+/)")]
    private static partial Regex ListeningLine();

    /// <summary>Gateways still running when the test host exits (a crashed or aborted run) are killed, never left behind.</summary>
    private static readonly LiveSet s_live = new();

    private sealed class LiveSet
    {
        private readonly HashSet<GatewayProcess> _set = [];

        public LiveSet() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

        public void Add(GatewayProcess gateway)
        {
            lock (_set)
            {
                _set.Add(gateway);
            }
        }

        public void Remove(GatewayProcess gateway)
        {
            lock (_set)
            {
                _set.Remove(gateway);
            }
        }

        private void KillAll()
        {
            lock (_set)
            {
                foreach (GatewayProcess gateway in _set)
                {
                    try
                    {
                        gateway._process.Kill(entireProcessTree: true);
                    }
                    catch (InvalidOperationException)
                    {
                        // Already gone.
                    }
                }
            }
        }
    }
}

/// <summary>How a stopped gateway ended.</summary>
/// <param name="LeftoverContainers">Containers with the gateway's owner label still present after it exited (removed by the harness), as they were found.</param>
public sealed record GatewayExit(int ExitCode, TimeSpan StopDuration, IReadOnlyList<ContainerSummary> LeftoverContainers);

public sealed class GatewayStartException(string message) : Exception(message);

public sealed class GatewayStopException(string message) : Exception(message);
