using System.Net;
using System.Net.WebSockets;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Security;

/// <summary>Catalogue W4: cross-site websocket hijacking. A browser page on another origin cannot open a kernel's channels.</summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class WebSocketOriginTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Upgrade_FromAForeignOrigin_IsRefusedBeforeTheUpgrade()
    {
        string id = await Fixture.SharedKernelAsync();

        (HttpStatusCode status, bool connected) = await TryConnectAsync(id, "https://evil.example.test");

        Assert.False(connected);
        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task Upgrade_FromTheGatewaysOwnOrigin_IsAccepted()
    {
        string id = await Fixture.SharedKernelAsync();

        (HttpStatusCode status, bool connected) = await TryConnectAsync(id, $"http://127.0.0.1:{Gateway.Port}");

        Assert.True(connected, $"refused with {status}");
    }

    private async Task<(HttpStatusCode Status, bool Connected)> TryConnectAsync(string kernelId, string origin)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.SetRequestHeader("Authorization", "token " + Gateway.Token);
        ws.Options.SetRequestHeader("Origin", origin);
        using var timeout = new CancellationTokenSource(TestTimeouts.Reply);
        try
        {
            await ws.ConnectAsync(Gateway.ChannelsUri(kernelId, "origin-" + Guid.NewGuid().ToString("N"), queryToken: null), timeout.Token);
        }
        catch (WebSocketException)
        {
            return (ws.HttpStatusCode, false);
        }
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        return (ws.HttpStatusCode, true);
    }
}

/// <summary>An origin allowed by Gateway:AllowOrigins may open channels.</summary>
[Collection(CorsGatewayCollection.Name)]
public sealed class WebSocketAllowedOriginTests(CorsGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Upgrade_FromAnAllowedOrigin_IsAccepted()
    {
        string id = await Fixture.SharedKernelAsync();
        using var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "token " + Gateway.Token);
        ws.Options.SetRequestHeader("Origin", CorsGatewayFixture.Origin);
        using var timeout = new CancellationTokenSource(TestTimeouts.Reply);

        await ws.ConnectAsync(Gateway.ChannelsUri(id, "allowed-origin", queryToken: null), timeout.Token);

        Assert.Equal(WebSocketState.Open, ws.State);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }
}
