using NotebookGateway.Testing;

namespace NotebookGateway.Zmq.Tests;

/// <summary>
/// Each test gets its own context and temp dir. Disposal terminates the context with a timeout, so a
/// test that leaves a socket behind fails instead of hanging (pyzmq's leak check).
/// </summary>
public abstract class ZmqTestBase : IAsyncLifetime
{
    protected ZmqContext Context { get; private set; } = null!;

    protected TempDirectory Temp { get; } = new("zmq");

    protected string Ipc(string name) => "ipc://" + Temp.Combine(name);

    public Task InitializeAsync()
    {
        Context = new ZmqContext(new ZmqContextOptions { TerminateTimeout = TimeSpan.FromSeconds(5) });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Context.DisposeAsync();
        Temp.Dispose();
    }

    protected static ReadOnlyMemory<byte> Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    protected static string Text(ReadOnlyMemory<byte> frame) => System.Text.Encoding.UTF8.GetString(frame.Span);

    protected static Task<T> Within<T>(Task<T> task) => task.WaitAsync(TestTimeouts.Short);

    protected static Task Within(Task task) => task.WaitAsync(TestTimeouts.Short);

    protected static Task<T> Within<T>(ValueTask<T> task) => task.AsTask().WaitAsync(TestTimeouts.Short);
}
