using System.Diagnostics;
using System.Text;
using NotebookGateway.Testing;

namespace NotebookGateway.Bridge.Tests.Support;

/// <summary>A long-running tool (a Jupyter server): output kept for failure messages, waits bounded, killed with its children on dispose.</summary>
internal sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BackgroundProcess(Process process) => _process = process;

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

    public static BackgroundProcess Start(string file, IEnumerable<string> arguments, BridgeEnvironment environment, string workingDirectory)
    {
        ProcessStartInfo start = ProcessStarts.Redirected(file, arguments, workingDirectory);
        environment.Apply(start);
        var process = new Process { StartInfo = start };
        var background = new BackgroundProcess(process);
        process.OutputDataReceived += (_, e) => background.Append(e.Data);
        process.ErrorDataReceived += (_, e) => background.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return background;
    }

    /// <summary>Polls the output until it contains <paramref name="text"/>; fails with the output on timeout or exit.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > timeout)
            {
                Assert.Fail($"'{text}' not printed within {timeout.TotalSeconds:0} s (exited: {_process.HasExited}):\n{Output}");
            }
            await Task.Delay(100); // polling the output with a deadline
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        using var cts = new CancellationTokenSource(Timeouts.Short);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Append(line).Append('\n');
            }
        }
    }
}
