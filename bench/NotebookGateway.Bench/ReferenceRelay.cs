using System.Net;
using System.Net.Sockets;

namespace NotebookGateway.Bench;

/// <summary>
/// The cheapest relay a process can be on this machine, as a yardstick for the egress proxy: a transparent TCP relay
/// on 127.0.0.1 with no parsing, no policy and no accounting, two dedicated threads per connection doing blocking
/// 4 MiB receive/send copies (which measured faster here than blocking splice). Whatever ratio it reaches is the
/// most any relay between a client and a server on the same two cores can reach.
/// </summary>
internal sealed class ReferenceRelay : IDisposable
{
    private const int Buffer = 4 * 1024 * 1024;
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly IPEndPoint _target;

    public ReferenceRelay(IPEndPoint target)
    {
        _target = target;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        new Thread(AcceptLoop) { IsBackground = true, Name = "reference relay" }.Start();
    }

    public int Port { get; }

    public void Dispose() => _listener.Dispose();

    private void AcceptLoop()
    {
        try
        {
            while (true)
            {
                var client = _listener.Accept();
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                server.Connect(_target);
                new Thread(() =>
                {
                    var up = new Thread(() => Copy(client, server)) { IsBackground = true };
                    up.Start();
                    Copy(server, client);
                    up.Join();
                    client.Dispose();
                    server.Dispose();
                }) { IsBackground = true }.Start();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Disposed: the benchmark is over.
        }
    }

    private static void Copy(Socket from, Socket to)
    {
        var buffer = new byte[Buffer];
        try
        {
            int n;
            while ((n = from.Receive(buffer)) > 0)
            {
                for (int sent = 0; sent < n;)
                {
                    sent += to.Send(buffer, sent, n - sent, SocketFlags.None);
                }
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The other side went away.
        }
    }
}
