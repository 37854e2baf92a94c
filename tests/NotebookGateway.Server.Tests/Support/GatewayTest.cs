using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>
/// Base of the tests against a collection's gateway: kernels and sockets a test opens are closed after it, and the
/// gateway's output during the test is written to the test output (shown with a failure).
/// </summary>
public abstract class GatewayTest(GatewayFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<string> _kernels = [];
    private readonly List<KernelSocket> _sockets = [];
    private int _mark;
    private bool _started;

    protected GatewayFixture Fixture => fixture;

    protected GatewayProcess Gateway => fixture.Gateway;

    protected ITestOutputHelper Output => output;

    public virtual Task InitializeAsync()
    {
        _mark = Gateway.OutputLineCount; // throws the gateway's start failure for every test of the collection
        _started = true;
        return Task.CompletedTask;
    }

    public virtual async Task DisposeAsync()
    {
        if (!_started)
        {
            return;
        }
        foreach (KernelSocket socket in _sockets)
        {
            await socket.DisposeAsync();
        }
        foreach (string kernel in _kernels)
        {
            await GatewayRest.TryDeleteKernelAsync(Gateway, kernel);
        }
        string during = Gateway.OutputSince(_mark);
        string[] lines = during.Split('\n');
        output.WriteLine($"--- gateway output during this test ({lines.Length} lines{(lines.Length > 400 ? ", last 400 shown" : "")}) ---");
        output.WriteLine(string.Join('\n', lines.TakeLast(400)));
    }

    /// <summary>A new python3 kernel, deleted after the test.</summary>
    protected async Task<string> StartKernelAsync()
    {
        string id = await GatewayRest.StartKernelAsync(Gateway);
        _kernels.Add(id);
        return id;
    }

    /// <summary>Marks a kernel created some other way (a session, a raw POST) for deletion after the test.</summary>
    protected void DeleteAfterTest(string kernelId) => _kernels.Add(kernelId);

    /// <summary>
    /// Opens the channels websocket (token in the Authorization header). With <paramref name="ready"/>, waits for a
    /// kernel_info round trip as JupyterLab does, so the socket is attached before the test sends anything else.
    /// </summary>
    protected async Task<KernelSocket> ConnectAsync(string kernelId, string? sessionId = null, IEnumerable<string>? subprotocols = null, bool ready = true)
    {
        sessionId ??= Guid.NewGuid().ToString();
        KernelSocket socket = await KernelSocket.ConnectAsync(Gateway.ChannelsUri(kernelId, sessionId, queryToken: null), sessionId, Gateway.Token, subprotocols);
        _sockets.Add(socket);
        if (ready)
        {
            await socket.KernelInfoAsync();
        }
        return socket;
    }

    /// <summary>Registers a socket opened by other means for closing after the test.</summary>
    protected KernelSocket Track(KernelSocket socket)
    {
        _sockets.Add(socket);
        return socket;
    }
}
