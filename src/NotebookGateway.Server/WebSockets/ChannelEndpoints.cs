using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotebookGateway.Jupyter.WebSocket;
using NotebookGateway.Server.Api;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.RateLimiting;
using NotebookGateway.Server.Relay;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.WebSockets;

/// <summary><c>/api/kernels/{id}/channels</c>: the Jupyter websocket (JSON, or the v1 binary subprotocol when offered).</summary>
public static class ChannelEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.Map("/api/kernels/{kernelId}/channels", async (string kernelId, HttpContext context, GatewayKernelRegistry kernels,
            IOptions<ChannelOptions> channelOptions, IOptions<GatewayOptions> gatewayOptions, WebSocketMessageCodec codec, GatewayRateLimiter rateLimiter, ILoggerFactory loggers) =>
        {
            if (!kernels.TryGet(kernelId, GatewayUser.Get(context), out GatewayKernel kernel))
            {
                await KernelEndpoints.NotFound(kernelId).ExecuteAsync(context);
                return;
            }
            if (!context.WebSockets.IsWebSocketRequest)
            {
                await RequestBodies.BadRequest("This endpoint only accepts websocket upgrades.").ExecuteAsync(context);
                return;
            }
            if (!OriginPolicy.IsAllowed(context.Request, gatewayOptions.Value))
            {
                await JsonErrors.Create(StatusCodes.Status403Forbidden, "Forbidden", "Cross-origin websocket refused.").ExecuteAsync(context);
                return;
            }
            if (rateLimiter.TryOpenWebSocket(kernel.Owner, out IDisposable? openLease) is { } limited)
            {
                await limited.ToResult().ExecuteAsync(context);
                return;
            }
            using IDisposable? heldWhileOpen = openLease;
            string sessionId = context.Request.Query["session_id"].ToString() is { Length: > 0 and <= 256 } requested ? requested : Guid.NewGuid().ToString("N");
            WebSocketProtocol protocol = WebSocketProtocols.Select(context.WebSockets.WebSocketRequestedProtocols);
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = WebSocketProtocols.GetSubprotocolName(protocol),
                KeepAliveInterval = TimeSpan.FromSeconds(channelOptions.Value.PingIntervalSeconds),
                // With a timeout the keep-alive is a real ping, and a client that stops answering is closed.
                KeepAliveTimeout = TimeSpan.FromSeconds(channelOptions.Value.PingIntervalSeconds * 2),
            });
            using var connection = new WebSocketChannelConnection(socket, protocol, kernel.Channels, codec,
                channelOptions.Value.MaxClientMessageBytes, loggers.CreateLogger<WebSocketChannelConnection>());
            ClientSession session = await kernel.Channels.AttachAsync(sessionId, connection);
            await connection.RunAsync(session, context.RequestAborted);
        });
    }
}
