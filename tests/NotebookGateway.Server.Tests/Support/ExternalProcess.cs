using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>A finished helper process: exit code and everything it printed (stdout and stderr interleaved by line).</summary>
public sealed record ProcessRun(int ExitCode, string Output, bool TimedOut);

/// <summary>
/// A client program the tests drive (node, Jupyter servers): output kept for failure messages, every wait bounded,
/// and the whole process tree killed on dispose.
/// </summary>
public sealed class ExternalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    private ExternalProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="file"/>; fails with <paramref name="installHint"/> when it cannot be started.</summary>
    public static ExternalProcess Start(string file, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment, string installHint)
    {
        ProcessStartInfo start = ProcessStarts.Redirected(file, arguments, workingDirectory, environment);

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var external = new ExternalProcess(process);
        process.OutputDataReceived += (_, e) => external.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => external.OnLine(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"Cannot start {file} ({ex.Message}): {installHint}", ex);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return external;
    }

    /// <summary>Runs to completion; a run past <paramref name="timeout"/> is killed and reported as timed out.</summary>
    public static async Task<ProcessRun> RunAsync(string file, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment, TimeSpan timeout, string installHint)
    {
        await using ExternalProcess process = Start(file, arguments, workingDirectory, environment, installHint);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process._process.Kill(entireProcessTree: true);
            await process._process.WaitForExitAsync();
            return new ProcessRun(-1, process.Output, TimedOut: true);
        }
        process._process.WaitForExit(); // drains the output
        return new ProcessRun(process._process.ExitCode, process.Output, TimedOut: false);
    }

    /// <summary>The first output line (already printed or still to come) that matches; fails with the output on timeout or exit.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            string? existing = _output.ToString().Split('\n').FirstOrDefault(match);
            if (existing is not null)
            {
                return existing;
            }
            _waiters.Add((match, found));
        }
        Task exited = _process.WaitForExitAsync();
        Task done = await Task.WhenAny(found.Task, exited, Task.Delay(timeout));
        if (done == found.Task)
        {
            return await found.Task;
        }
        string reason = done == exited ? $"the process exited with code {_process.ExitCode}" : $"not within {timeout.TotalSeconds:0} s";
        throw new TimeoutException($"{what}: {reason}.\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }
        using var cts = new CancellationTokenSource(TestTimeouts.Reply);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Left to the OS; nothing else holds it.
        }
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        List<TaskCompletionSource<string>> matched = [];
        lock (_output)
        {
            _output.Append(line).Append('\n');
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                matched.Add(waiter.Found);
                _waiters.Remove(waiter);
            }
        }
        foreach (var found in matched)
        {
            found.TrySetResult(line);
        }
    }
}
