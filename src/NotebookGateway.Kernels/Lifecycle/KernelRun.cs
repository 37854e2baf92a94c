using NotebookGateway.Egress.Proxy;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Lifecycle;

/// <summary>One container of a kernel, with everything that lives and dies with it.</summary>
internal sealed class KernelRun(SandboxKernel kernel, string runId, ConnectionInfo connection, SocketDirectory sockets)
{
    private readonly Lock _lock = new();
    private Task? _tearDown;

    /// <summary>The kernel the run belongs to: set once more when a pooled run is handed out (<see cref="KernelPool"/>).</summary>
    public SandboxKernel Kernel { get; set; } = kernel;

    public string RunId { get; } = runId;

    public ConnectionInfo Connection { get; } = connection;

    public SocketDirectory Sockets { get; } = sockets;

    public string? ContainerId { get; set; }

    public KernelSocketSet? SocketSet { get; set; }

    /// <summary>The run's egress proxy when the kernel has a network policy.</summary>
    public EgressListener? Egress { get; set; }

    public KernelClient? Client { get; set; }

    public TimeSpan? StartDuration { get; set; }

    /// <summary>The start's phases in milliseconds, for the log (<see cref="StartPhases"/>).</summary>
    public string StartPhases { get; set; } = "";

    /// <summary>Completes with the exit code from the engine's die event.</summary>
    public TaskCompletionSource<long> Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When (<see cref="TimeProvider.GetTimestamp"/>) the engine last reported an OOM kill in this container,
    /// or null. The kill may have taken a child of the kernel (a compiled program, a shell job) while the kernel lives on.</summary>
    public long? LastOomAt { get; set; }

    /// <summary>The gateway is stopping this run itself: its death is expected, not reported.</summary>
    public bool Retiring { get; set; }

    /// <summary>Counted in the running-kernels gauge.</summary>
    public bool Counted { get; set; }

    /// <summary>Runs <paramref name="tearDown"/> once; later callers wait for the same teardown.</summary>
    public Task TearDownOnce(Func<Task> tearDown)
    {
        lock (_lock)
        {
            Retiring = true;
            return _tearDown ??= tearDown();
        }
    }
}
