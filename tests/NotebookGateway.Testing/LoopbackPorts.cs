using System.Net;
using System.Net.Sockets;

namespace NotebookGateway.Testing;

/// <summary>Ports for servers the tests and benchmarks start themselves (ones that cannot report a port they chose).</summary>
public static class LoopbackPorts
{
    /// <summary>A port on 127.0.0.1 that nothing listens on now.</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
