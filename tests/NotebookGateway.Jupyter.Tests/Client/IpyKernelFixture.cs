using NotebookGateway.Jupyter.Client;
using NotebookGateway.Testing;
using NotebookGateway.Zmq;

namespace NotebookGateway.Jupyter.Tests.Client;

/// <summary>One real ipykernel and our client connected to it, shared by a test class.</summary>
public abstract class IpyKernelFixture : IAsyncLifetime
{
    protected abstract string Transport { get; }

    public ZmqContext Context { get; } = new();

    public LocalIpyKernel Kernel { get; private set; } = null!;

    public KernelClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (Kernel, Client) = await StartAsync(Context, Transport);
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync();
        await Kernel.DisposeAsync();
        await Context.DisposeAsync();
    }

    /// <summary>Starts a kernel and a ready client; the caller disposes both.</summary>
    public static async Task<(LocalIpyKernel Kernel, KernelClient Client)> StartAsync(
        ZmqContext context, string transport, InterruptMode interruptMode = InterruptMode.Signal, TimeSpan? heartbeatTimeout = null)
    {
        LocalIpyKernel kernel = await LocalIpyKernel.StartAsync(transport);
        KernelClient client = await KernelClient.ConnectAsync(kernel.Connection, context.Reactor, new KernelClientOptions
        {
            Signaler = kernel,
            InterruptMode = interruptMode,
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            HeartbeatTimeout = heartbeatTimeout ?? TimeSpan.FromSeconds(3),
        });
        try
        {
            await client.WaitForReadyAsync(TestTimeouts.Long);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException("ipykernel did not start. Its output:\n" + kernel.Output, ex);
        }
        return (kernel, client);
    }
}

public sealed class IpcIpyKernelFixture : IpyKernelFixture
{
    protected override string Transport => "ipc";
}

public sealed class TcpIpyKernelFixture : IpyKernelFixture
{
    protected override string Transport => "tcp";
}
