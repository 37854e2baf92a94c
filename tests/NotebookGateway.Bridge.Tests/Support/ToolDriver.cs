using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace NotebookGateway.Bridge.Tests.Support;

/// <summary>
/// <c>Scripts/tool_driver.py</c>: jupyter_client's KernelManager and blocking client (what Notebook, nbclient and jupyter
/// console use), one JSON command per line. Every answer is awaited with a timeout; failures carry the driver's output.
/// </summary>
public sealed class ToolDriver : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _answers = Channel.CreateUnbounded<JsonObject>();
    private readonly List<string> _log = [];

    private ToolDriver(Process process) => _process = process;

    /// <summary>Everything the driver (and the kernels it started, on stderr) printed.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    public static ToolDriver Start(BridgeEnvironment environment, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(Tools.Python)
        {
            ArgumentList = { "-u", Path.Combine(AppContext.BaseDirectory, "Scripts", "tool_driver.py") },
            WorkingDirectory = workingDirectory ?? environment.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        environment.Apply(start);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var driver = new ToolDriver(process);
        process.OutputDataReceived += (_, e) => driver.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => driver.Record("[err] " + e.Data);
        process.Exited += (_, _) => driver._answers.Writer.TryComplete();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return driver;
    }

    /// <summary>Sends a command and returns its answer; fails the test when the driver reports an error or says nothing in time.</summary>
    public async Task<JsonObject> SendAsync(JsonObject command, TimeSpan? timeout = null)
    {
        JsonObject answer = await TrySendAsync(command, timeout);
        if (answer["ok"]?.GetValue<bool>() != true)
        {
            Assert.Fail($"{command["op"]} failed: {answer["error"]}\n{answer["trace"]}\n--- driver and bridge output ---\n{Log}");
        }
        return answer;
    }

    /// <summary>Sends a command and returns its answer, success or not.</summary>
    public async Task<JsonObject> TrySendAsync(JsonObject command, TimeSpan? timeout = null)
    {
        string line = command.ToJsonString();
        Record("[cmd] " + line);
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
        using var cts = new CancellationTokenSource(timeout ?? Timeouts.Step);
        try
        {
            return await _answers.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{command["op"]}: no answer within {(timeout ?? Timeouts.Step).TotalSeconds:0} s\n--- driver and bridge output ---\n{Log}");
            throw;
        }
        catch (ChannelClosedException)
        {
            Assert.Fail($"{command["op"]}: the driver exited\n--- driver and bridge output ---\n{Log}");
            throw;
        }
    }

    public Task<JsonObject> StartKernelAsync(string kernelName, string? cwd = null, bool ignoreSigint = false) =>
        SendAsync(new JsonObject { ["op"] = "start", ["kernel"] = kernelName, ["cwd"] = cwd, ["ignore_sigint"] = ignoreSigint }, Timeouts.KernelStart);

    public Task<JsonObject> ExecuteAsync(string code, TimeSpan? timeout = null) =>
        SendAsync(new JsonObject { ["op"] = "execute", ["code"] = code, ["timeout"] = (timeout ?? Timeouts.Step).TotalSeconds }, (timeout ?? Timeouts.Step) + Timeouts.Short);

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close(); // the driver ends at end of input; jupyter_client's atexit cleans up
            using var cts = new CancellationTokenSource(Timeouts.Short);
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }
        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }
        Record("[out] " + line);
        if (line.StartsWith('{'))
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject answer)
                {
                    _answers.Writer.TryWrite(answer);
                }
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
    }

    private void Record(string? line)
    {
        lock (_log)
        {
            _log.Add(line ?? "");
        }
    }
}
