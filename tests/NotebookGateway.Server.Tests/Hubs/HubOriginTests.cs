using System.Net;
using System.Net.WebSockets;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Hubs;

/// <summary>The hub's own origin rules (Hub:AllowOrigins): credentialed CORS for a listed origin, 403 for any other.</summary>
[Collection(HubGatewayCollection.Name)]
public sealed class HubOriginTests(HubGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const string ForeignOrigin = "https://evil.example.test";

    [Fact]
    public async Task Preflight_from_an_allowed_origin_is_answered_without_a_token_with_credentialed_CORS()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Options, Gateway.Url("hubs/kernels/negotiate?negotiateVersion=1"));
        request.Headers.Add("Origin", HubGatewayFixture.AllowedOrigin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,x-requested-with,x-signalr-user-agent");
        RestResponse response = await GatewayRest.SendAsync(anonymous, request);

        Assert.True(response.Status is HttpStatusCode.NoContent or HttpStatusCode.OK, response.ToString());
        Assert.Equal(HubGatewayFixture.AllowedOrigin, response.Header("Access-Control-Allow-Origin"));
        Assert.Equal("true", response.Header("Access-Control-Allow-Credentials"));
        string allowed = response.Header("Access-Control-Allow-Headers") ?? "";
        foreach (string header in new[] { "authorization", "x-requested-with", "x-signalr-user-agent" })
        {
            Assert.Contains(header, allowed, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Negotiate_from_an_allowed_origin_carries_CORS_headers_and_still_needs_the_token()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        RestResponse withToken = await NegotiateAsync(anonymous, HubGatewayFixture.AllowedOrigin, "Bearer " + HubGatewayFixture.AliceToken);
        RestResponse withoutToken = await NegotiateAsync(anonymous, HubGatewayFixture.AllowedOrigin, authorization: null);

        GatewayRest.ExpectStatus(withToken, HttpStatusCode.OK, Gateway);
        Assert.Equal(HubGatewayFixture.AllowedOrigin, withToken.Header("Access-Control-Allow-Origin"));
        Assert.Equal("true", withToken.Header("Access-Control-Allow-Credentials"));
        Assert.Contains("connectionToken", withToken.Body, StringComparison.Ordinal);
        GatewayRest.ExpectStatus(withoutToken, HttpStatusCode.Unauthorized, Gateway);
        Assert.Equal(HubGatewayFixture.AllowedOrigin, withoutToken.Header("Access-Control-Allow-Origin")); // so the page can read the 401
    }

    [Fact]
    public async Task A_foreign_origin_is_refused_for_preflight_and_negotiate_with_no_CORS_headers()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, Gateway.Url("hubs/kernels/negotiate?negotiateVersion=1"));
        preflight.Headers.Add("Origin", ForeignOrigin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        RestResponse preflightResponse = await GatewayRest.SendAsync(anonymous, preflight);
        RestResponse negotiate = await NegotiateAsync(anonymous, ForeignOrigin, "Bearer " + HubGatewayFixture.AliceToken);

        foreach (RestResponse response in new[] { preflightResponse, negotiate })
        {
            GatewayRest.ExpectStatus(response, HttpStatusCode.Forbidden, Gateway);
            Assert.Null(response.Header("Access-Control-Allow-Origin"));
            Assert.Null(response.Header("Access-Control-Allow-Credentials"));
        }
    }

    [Fact]
    public async Task Websocket_upgrade_from_a_foreign_origin_is_refused_with_403_and_accepted_from_an_allowed_one()
    {
        (HttpStatusCode foreignStatus, bool foreignConnected) = await TryConnectAsync(ForeignOrigin);
        (HttpStatusCode allowedStatus, bool allowedConnected) = await TryConnectAsync(HubGatewayFixture.AllowedOrigin);
        (HttpStatusCode sameStatus, bool sameConnected) = await TryConnectAsync($"http://127.0.0.1:{Gateway.Port}");

        Assert.False(foreignConnected);
        Assert.Equal(HttpStatusCode.Forbidden, foreignStatus);
        Assert.True(allowedConnected, $"allowed origin refused with {allowedStatus}");
        Assert.True(sameConnected, $"same origin refused with {sameStatus}");
    }

    [Fact]
    public async Task Websocket_upgrade_with_a_wrong_access_token_is_refused_with_401()
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        using var timeout = new CancellationTokenSource(TestTimeouts.Reply);

        await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(HubSocketUri("not-the-token"), timeout.Token));

        Assert.Equal(HttpStatusCode.Unauthorized, ws.HttpStatusCode);
    }

    private async Task<RestResponse> NegotiateAsync(HttpClient client, string origin, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Gateway.Url("hubs/kernels/negotiate?negotiateVersion=1"));
        request.Headers.Add("Origin", origin);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return await GatewayRest.SendAsync(client, request);
    }

    /// <summary>The websocket transport without negotiate (SignalR's skipNegotiation), token in the query as the JS client sends it.</summary>
    private Uri HubSocketUri(string token) =>
        new($"ws://127.0.0.1:{Gateway.Port}{Gateway.BaseUri.AbsolutePath}hubs/kernels?access_token={Uri.EscapeDataString(token)}");

    private async Task<(HttpStatusCode Status, bool Connected)> TryConnectAsync(string origin)
    {
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.SetRequestHeader("Origin", origin);
        using var timeout = new CancellationTokenSource(TestTimeouts.Reply);
        try
        {
            await ws.ConnectAsync(HubSocketUri(HubGatewayFixture.AliceToken), timeout.Token);
        }
        catch (WebSocketException)
        {
            return (ws.HttpStatusCode, false);
        }
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        return (ws.HttpStatusCode, true);
    }
}
