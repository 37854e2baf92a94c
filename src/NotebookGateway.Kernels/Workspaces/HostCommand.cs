using System.Diagnostics;
using System.Text;

namespace NotebookGateway.Kernels.Workspaces;

/// <summary>Runs a host tool (mkfs.ext4, mount) with a fixed argv, no shell, bounded in time; fails with its stderr.</summary>
internal static class HostCommand
{
    private static readonly string[] SearchPath = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    /// <summary>The tool's absolute path from the system directories (the gateway's own PATH may lack /usr/sbin).</summary>
    public static string Resolve(string tool) =>
        tool.StartsWith('/') ? tool : SearchPath.Select(dir => Path.Combine(dir, tool)).FirstOrDefault(File.Exists)
            ?? throw new IOException($"{tool} was not found in {string.Join(", ", SearchPath)} (Debian: e2fsprogs, mount).");

    public static async Task RunAsync(string tool, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var file = Resolve(tool);
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LC_ALL"] = "C";
        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new IOException($"{file} could not be started: {ex.Message}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new IOException($"{file} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s.");
        }

        if (process.ExitCode != 0)
        {
            string text;
            lock (output)
            {
                text = output.ToString().Trim();
            }

            throw new IOException($"{file} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {text}");
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (output.Length < 8192)
            {
                output.AppendLine(line);
            }
        }
    }
}
