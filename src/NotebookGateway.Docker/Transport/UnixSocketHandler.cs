using System.Net.Sockets;

namespace NotebookGateway.Docker.Transport;

/// <summary>An HTTP handler whose every connection is a Unix domain socket to the engine.</summary>
internal static class UnixSocketHandler
{
    public static SocketsHttpHandler Create(string socketPath) => new()
    {
        // The engine is local and has no TLS, proxies or cookies; keep the handler to what it needs.
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
