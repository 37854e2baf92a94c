using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Hubs;

/// <summary>Composition of the kernel hub: options, SignalR (JSON protocol) and the route.</summary>
public static class KernelHubRegistration
{
    /// <summary>SignalR with the hub's protocol and limits (options of section <c>Hub</c>, bound by the host).</summary>
    public static IServiceCollection AddKernelHub(this IServiceCollection services)
    {
        services.AddSignalR();
        services.AddSingleton<HubMetrics>();
        // JSON only, wrapped so that options arguments may be left out (see OptionalArgumentsHubProtocol).
        services.RemoveAll<IHubProtocol>();
        services.AddSingleton<IHubProtocol>(sp => new OptionalArgumentsHubProtocol(
            new JsonHubProtocol(sp.GetRequiredService<IOptions<JsonHubProtocolOptions>>()),
            new Dictionary<string, int>(StringComparer.Ordinal)
            {
                [nameof(KernelHub.StartKernel)] = 1,
                [nameof(KernelHub.Execute)] = 1,
            }));
        // A cell's code is one hub message: the same limit as a websocket message from a client.
        services.AddOptions<Microsoft.AspNetCore.SignalR.HubOptions>().Configure<IOptions<ChannelOptions>>((hub, channels) =>
            hub.MaximumReceiveMessageSize = channels.Value.MaxClientMessageBytes);
        return services;
    }

    /// <summary>Maps <see cref="HubOrigins.Path"/> when the hub is enabled (otherwise the path is an ordinary 404).</summary>
    public static void MapKernelHub(this IEndpointRouteBuilder app, KernelHubOptions options)
    {
        if (!options.Enabled)
        {
            return;
        }
        app.MapHub<KernelHub>(HubOrigins.Path, connection =>
            connection.Transports = HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling);
    }
}
