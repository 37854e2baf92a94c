using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Connection;

namespace NotebookGateway.Testing;

/// <summary>
/// A real ipykernel (Debian's python3-ipykernel) started as a local process with a connection file in
/// a temp dir, on the ipc or tcp transport. Fails with an install hint when Python or ipykernel is missing.
/// </summary>
public sealed partial class LocalIpyKernel : IAsyncDisposable, IKernelSignaler
{
    public const string Python = "/usr/bin/python3";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TempDirectory _directory;

    private LocalIpyKernel(Process process, ConnectionInfo connection, TempDirectory directory)
    {
        _process = process;
        Connection = connection;
        _directory = directory;
    }

    public ConnectionInfo Connection { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>What the kernel printed (for failure messages).</summary>
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

    /// <summary>
    /// Starts the kernel: ipykernel, or <c>python3 {arguments} -f {connection file}</c> with <paramref name="pythonPath"/>
    /// as PYTHONPATH (another Python kernel, e.g. one of <c>sandbox-images/shared/nbgw_kernels</c>).
    /// </summary>
    public static async Task<LocalIpyKernel> StartAsync(string transport, IReadOnlyList<string>? arguments = null, string? pythonPath = null)
    {
        RequirePython("ipykernel", "python3-ipykernel");
        var directory = new TempDirectory("ipyk");
        ConnectionInfo connection = transport == "ipc"
            ? ConnectionInfo.CreateIpc(directory.Combine("k"), "python3")
            : ConnectionInfo.CreateTcp("127.0.0.1", "python3");
        string file = directory.Combine("connection.json");
        await connection.SaveAsync(file);
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory.Path,
        };
        foreach (string argument in arguments ?? ["-m", "ipykernel_launcher"])
        {
            start.ArgumentList.Add(argument);
        }
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add(file);
        if (arguments is null)
        {
            start.ArgumentList.Add("--HistoryManager.enabled=True");
        }
        if (pythonPath is not null)
        {
            start.Environment["PYTHONPATH"] = pythonPath;
        }
        // Keep the kernel's IPython state out of the real home directory.
        start.Environment["IPYTHONDIR"] = directory.Combine("ipython");
        start.Environment["JUPYTER_RUNTIME_DIR"] = directory.Combine("runtime");
        start.Environment["MPLBACKEND"] = "Agg";
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + Python);
        var kernel = new LocalIpyKernel(process, connection, directory);
        process.OutputDataReceived += (_, e) => kernel.Append(e.Data);
        process.ErrorDataReceived += (_, e) => kernel.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return kernel;
    }

    /// <summary>Fails the test with an install hint unless <c>/usr/bin/python3 -c "import module"</c> works.</summary>
    public static void RequirePython(string module, string debianPackage)
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing: apt-get install python3 {debianPackage}");
        }
        using var check = Process.Start(new ProcessStartInfo(Python, ["-c", "import " + module])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        check.WaitForExit();
        if (check.ExitCode != 0)
        {
            throw new InvalidOperationException($"Python module '{module}' is missing: apt-get install {debianPackage} ({check.StandardError.ReadToEnd().Trim()})");
        }
    }

    public Task SignalAsync(int signal, CancellationToken cancellationToken)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return Task.CompletedTask;
    }

    /// <summary>SIGKILL: the kernel gets no chance to say goodbye.</summary>
    public void KillHard() => _ = Kill(_process.Id, 9);

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
        _directory.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
