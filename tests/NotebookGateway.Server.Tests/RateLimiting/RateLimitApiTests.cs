using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.RateLimiting;

/// <summary>Per-user rate limits and the bad-token throttle against the real gateway and real sandboxed kernels.</summary>
[Collection(LimitsAndAccessGatewayCollection.Name)]
public sealed class RateLimitApiTests(LimitsAndAccessGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private static string TokenOf(string user) => LimitsAndAccessGatewayFixture.Tokens[user];

    [Fact]
    public async Task KernelStart_OverTheUsersRate_Is429WithRetryAfterAndNothingStarts()
    {
        using HttpClient starter = Gateway.CreateHttpClient(TokenOf("starter"));
        RestResponse first = await GatewayRest.SendAsync(starter, HttpMethod.Post, Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(first, HttpStatusCode.Created, Gateway);
        string kernel = first.Json!["id"]!.GetValue<string>();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Gateway.Url("api/kernels")) { Content = new StringContent("{}") };
            using HttpResponseMessage second = await starter.SendAsync(request);
            string body = await second.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            TimeSpan retryAfter = Assert.IsType<TimeSpan>(second.Headers.RetryAfter?.Delta);
            Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
            Assert.Contains("\"reason\":\"Too Many Requests\"", body, StringComparison.Ordinal);
            Assert.Contains("at most 1 kernel starts per minute", body, StringComparison.Ordinal);

            // A session start goes through the same check, and leaves no session behind.
            RestResponse session = await GatewayRest.SendAsync(starter, HttpMethod.Post, Gateway.Url("api/sessions"), """{"path":"r.ipynb"}""", timeout: TestTimeouts.KernelStart);
            GatewayRest.ExpectJsonError(session, HttpStatusCode.TooManyRequests, "Too Many Requests");
            RestResponse sessions = await GatewayRest.SendAsync(starter, HttpMethod.Get, Gateway.Url("api/sessions"));
            Assert.Equal("[]", sessions.Body);
            RestResponse kernels = await GatewayRest.SendAsync(starter, HttpMethod.Get, Gateway.Url("api/kernels"));
            Assert.Single((System.Text.Json.Nodes.JsonArray)kernels.Json!);
        }
        finally
        {
            await GatewayRest.SendAsync(starter, HttpMethod.Delete, Gateway.Url($"api/kernels/{kernel}"));
        }
        Assert.Contains("rate_limit_hits_total{kind=\"kernel_start\"} ", (await GatewayRest.GetAsync(Gateway, "metrics")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_OverTheUsersRate_CellEndsWithRateLimitExceededAndTheSocketStaysOpen()
    {
        using HttpClient executor = Gateway.CreateHttpClient(TokenOf("executor"));
        RestResponse created = await GatewayRest.SendAsync(executor, HttpMethod.Post, Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string kernel = created.Json!["id"]!.GetValue<string>();
        try
        {
            string sessionId = Guid.NewGuid().ToString();
            KernelSocket socket = Track(await KernelSocket.ConnectAsync(Gateway.ChannelsUri(kernel, sessionId, queryToken: null), sessionId, TokenOf("executor")));
            await socket.KernelInfoAsync(); // polling is not an execute

            Assert.Equal("ok", (await socket.ExecuteAsync("1 + 1")).Status);
            Assert.Equal("ok", (await socket.ExecuteAsync("2 + 2")).Status);
            ExecuteResult refused = await socket.ExecuteAsync("print('never runs')");

            Output.WriteLine(refused.ToString());
            Assert.Equal("error", refused.Status);
            Assert.Equal("RateLimitExceeded", refused.Reply.ContentText("ename"));
            Assert.Contains("at most 2 execute requests per minute", refused.Reply.ContentText("evalue"), StringComparison.Ordinal);
            Assert.Contains("retry after", refused.Reply.ContentText("evalue"), StringComparison.Ordinal);
            ReceivedFrame notice = Assert.Single(refused.IOPub, f => f.MsgType == "stream");
            Assert.Equal("stderr", notice.ContentText("name"));
            Assert.Contains("Rate limit exceeded", notice.ContentText("text"), StringComparison.Ordinal);
            Assert.DoesNotContain("never runs", refused.Stdout, StringComparison.Ordinal);

            Assert.Equal(WebSocketState.Open, socket.State);
            await socket.KernelInfoAsync(); // the connection still works
        }
        finally
        {
            await GatewayRest.SendAsync(executor, HttpMethod.Delete, Gateway.Url($"api/kernels/{kernel}"));
        }
        Assert.Contains("rate_limit_hits_total{kind=\"execute\"} ", (await GatewayRest.GetAsync(Gateway, "metrics")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocket_OverTheUsersConnectionRate_Is429WithRetryAfter()
    {
        using HttpClient connector = Gateway.CreateHttpClient(TokenOf("connector"));
        RestResponse created = await GatewayRest.SendAsync(connector, HttpMethod.Post, Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string kernel = created.Json!["id"]!.GetValue<string>();
        try
        {
            KernelSocket first = Track(await KernelSocket.ConnectAsync(Gateway.ChannelsUri(kernel, "one", queryToken: null), "one", TokenOf("connector")));
            await first.KernelInfoAsync();

            using var second = new ClientWebSocket();
            second.Options.CollectHttpResponseDetails = true;
            second.Options.SetRequestHeader("Authorization", "token " + TokenOf("connector"));
            using var timeout = new CancellationTokenSource(TestTimeouts.Reply);
            await Assert.ThrowsAsync<WebSocketException>(() => second.ConnectAsync(Gateway.ChannelsUri(kernel, "two", queryToken: null), timeout.Token));

            Assert.Equal(HttpStatusCode.TooManyRequests, second.HttpStatusCode);
            string retryAfter = Assert.Single(second.HttpResponseHeaders!["Retry-After"]);
            Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            await first.KernelInfoAsync(); // the open one is unaffected
        }
        finally
        {
            await GatewayRest.SendAsync(connector, HttpMethod.Delete, Gateway.Url($"api/kernels/{kernel}"));
        }
        Assert.Contains("rate_limit_hits_total{kind=\"websocket\"} ", (await GatewayRest.GetAsync(Gateway, "metrics")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadTokens_FromOneAddress_Get429ThereWhileTheRightTokenElsewhereWorks()
    {
        // Another loopback address stands for another client machine: the whole of 127/8 reaches the gateway.
        using HttpClient guesser = ClientFrom(IPAddress.Parse("127.0.0.2"), "wrong-" + Gateway.Token);
        for (int i = 0; i <= LimitsAndAccessGatewayFixture.BadTokenAttempts; i++)
        {
            GatewayRest.ExpectJsonError(await GatewayRest.SendAsync(guesser, HttpMethod.Get, Gateway.Url("api")), HttpStatusCode.Unauthorized, "Unauthorized");
        }

        using HttpClient sameAddressRightToken = ClientFrom(IPAddress.Parse("127.0.0.2"), Gateway.Token);
        using HttpResponseMessage slowed = await sameAddressRightToken.GetAsync(Gateway.Url("api"));
        string body = await slowed.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, slowed.StatusCode);
        TimeSpan retryAfter = Assert.IsType<TimeSpan>(slowed.Headers.RetryAfter?.Delta);
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Contains("wrong token from this address", body, StringComparison.Ordinal);

        // 127.0.0.1 is another address: its right token works, its wrong token is an ordinary 401.
        GatewayRest.ExpectStatus(await GatewayRest.GetAsync(Gateway, "api"), HttpStatusCode.OK, Gateway);
        using HttpClient wrongHere = Gateway.CreateHttpClient("wrong-" + Gateway.Token);
        GatewayRest.ExpectJsonError(await GatewayRest.SendAsync(wrongHere, HttpMethod.Get, Gateway.Url("api")), HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.Contains("rate_limit_hits_total{kind=\"bad_token\"} ", (await GatewayRest.GetAsync(Gateway, "metrics")).Body, StringComparison.Ordinal);
    }

    private static HttpClient ClientFrom(IPAddress local, string token)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { Timeout = TestTimeouts.Step };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", token);
        return client;
    }
}
