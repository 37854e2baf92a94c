using System.Diagnostics;

namespace NotebookGateway.Egress.Tests.Proxy;

/// <summary>
/// A process in a network namespace of its own with <c>lo</c> up (<c>unshare --net</c>, as root), standing in for a
/// container's; commands run inside it with <c>nsenter</c>.
/// </summary>
internal sealed class NamespaceHolder : IDisposable
{
    private readonly Process _process;

    private NamespaceHolder(Process process) => _process = process;

    public string NamespacePath => $"/proc/{_process.Id}/ns/net";

    public static async Task<NamespaceHolder> StartAsync()
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo("unshare", ["--net", "sh", "-c", "ip link set lo up && echo ready && exec sleep 600"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("These tests need unshare and nsenter (util-linux) and ip (iproute2), run as root: apt-get install -y util-linux iproute2", ex);
        }

        var holder = new NamespaceHolder(process);
        using var timeout = new CancellationTokenSource(TestTimeouts.Short);
        if (await process.StandardOutput.ReadLineAsync(timeout.Token) != "ready")
        {
            var error = await process.StandardError.ReadToEndAsync(timeout.Token);
            holder.Dispose();
            throw new InvalidOperationException("unshare --net failed (these tests run as root, with iproute2 installed): " + error);
        }

        return holder;
    }

    /// <summary>Exit code and stdout+stderr (trimmed) of <paramref name="command"/> run in the namespace.</summary>
    public async Task<(int Exit, string Output)> RunInsideAsync(IReadOnlyList<string> command)
    {
        using var process = Process.Start(new ProcessStartInfo("nsenter", ["--net=" + NamespacePath, .. command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var timeout = new CancellationTokenSource(TestTimeouts.Long);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, ((await output) + (await error)).Trim());
    }

    public void Dispose()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
