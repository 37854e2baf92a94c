using System.Net;
using System.Net.Http.Headers;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Security;

/// <summary>§7 items 10 and 13: the API token on every route and on the websocket upgrade.</summary>
[Collection(CorsGatewayCollection.Name)]
public sealed class AuthTests(CorsGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private static readonly string SomeId = Guid.NewGuid().ToString();

    /// <summary>Every route of the API (a random well-formed id: the token is checked before the lookup), and an unknown one.</summary>
    public static readonly (string Method, string Path, string? Body)[] Routes =
    [
        ("GET", "api", null),
        ("GET", "api/kernelspecs", null),
        ("GET", "api/kernelspecs/python3", null),
        ("GET", "kernelspecs/python3/logo-64x64.png", null),
        ("GET", "api/kernels", null),
        ("POST", "api/kernels", """{"name":"python3"}"""),
        ("GET", $"api/kernels/{SomeId}", null),
        ("DELETE", $"api/kernels/{SomeId}", null),
        ("POST", $"api/kernels/{SomeId}/interrupt", null),
        ("POST", $"api/kernels/{SomeId}/restart", null),
        ("GET", $"api/kernels/{SomeId}/channels", null),
        ("GET", "api/sessions", null),
        ("POST", "api/sessions", """{"path":"a.ipynb","type":"notebook","kernel":{"name":"python3"}}"""),
        ("GET", $"api/sessions/{SomeId}", null),
        ("PATCH", $"api/sessions/{SomeId}", """{"path":"b.ipynb"}"""),
        ("DELETE", $"api/sessions/{SomeId}", null),
        ("GET", "api/swagger.json", null),
        ("GET", "no/such/route", null),
    ];

    [Fact]
    public async Task Every_route_answers_a_json_401_without_a_token_or_with_a_wrong_one()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        using HttpClient wrong = Gateway.CreateHttpClient(token: Gateway.Token[..^1] + (Gateway.Token[^1] == 'a' ? 'b' : 'a'));
        using HttpClient bearer = Gateway.CreateHttpClient(token: null);
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Gateway.Token[..^1]);
        var failures = new List<string>();
        foreach (var (method, path, body) in Routes)
        {
            foreach (var (client, what) in new[] { (anonymous, "no token"), (wrong, "wrong token"), (bearer, "wrong scheme and token") })
            {
                RestResponse response = await GatewayRest.SendAsync(client, new HttpMethod(method), Gateway.Url(path), body);
                try
                {
                    GatewayRest.ExpectJsonError(response, HttpStatusCode.Unauthorized, "Unauthorized");
                }
                catch (Xunit.Sdk.XunitException ex)
                {
                    failures.Add($"{what}: {ex.Message}");
                }
            }
            foreach (string query in new[] { "?token=", "?token=" + Gateway.Token[..8] })
            {
                RestResponse response = await GatewayRest.SendAsync(anonymous, new HttpMethod(method), new Uri(Gateway.Url(path) + query), body);
                if (response.Status != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"query {query}: {response}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task The_token_is_accepted_in_the_header_or_the_query_and_the_query_wins()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        using HttpClient wrongHeader = Gateway.CreateHttpClient(token: "wrong-" + Gateway.Token);
        string rightQuery = "?token=" + Uri.EscapeDataString(Gateway.Token);
        string wrongQuery = "?token=wrong-" + Uri.EscapeDataString(Gateway.Token);

        foreach (string path in new[] { "api", "api/kernelspecs" })
        {
            GatewayRest.ExpectStatus(await GatewayRest.SendAsync(Gateway.Http, HttpMethod.Get, Gateway.Url(path)), HttpStatusCode.OK, Gateway);
            GatewayRest.ExpectStatus(await GatewayRest.SendAsync(anonymous, HttpMethod.Get, new Uri(Gateway.Url(path) + rightQuery)), HttpStatusCode.OK, Gateway);
            // Both present: the query decides, as in Kernel Gateway.
            GatewayRest.ExpectStatus(await GatewayRest.SendAsync(wrongHeader, HttpMethod.Get, new Uri(Gateway.Url(path) + rightQuery)), HttpStatusCode.OK, Gateway);
            GatewayRest.ExpectJsonError(await GatewayRest.SendAsync(Gateway.Http, HttpMethod.Get, new Uri(Gateway.Url(path) + wrongQuery)), HttpStatusCode.Unauthorized, "Unauthorized");
        }
    }

    [Fact]
    public async Task A_websocket_upgrade_without_or_with_a_wrong_token_is_refused_with_401()
    {
        string kernel = Guid.NewGuid().ToString();
        var attempts = new (Uri Uri, string? Header, string What)[]
        {
            (Gateway.ChannelsUri(kernel, "s1", queryToken: null), null, "no token"),
            (Gateway.ChannelsUri(kernel, "s1", queryToken: null), "wrong" + Gateway.Token, "wrong header token"),
            (Gateway.ChannelsUri(kernel, "s1", queryToken: "wrong" + Gateway.Token), null, "wrong query token"),
            (Gateway.ChannelsUri(kernel, "s1", queryToken: "wrong" + Gateway.Token), Gateway.Token, "wrong query token, right header"),
        };
        foreach (var (uri, header, what) in attempts)
        {
            var (status, socket, error) = await KernelSocket.TryConnectAsync(uri, "s1", header);
            if (socket is not null)
            {
                await socket.DisposeAsync();
            }
            Assert.True(status == HttpStatusCode.Unauthorized, $"{what}: HTTP {(int)status} ({error})");
        }
    }

    [Fact]
    public async Task A_websocket_upgrade_with_the_query_token_connects_and_an_unknown_kernel_is_404()
    {
        string kernel = await Fixture.SharedKernelAsync();
        KernelSocket socket = Track(await KernelSocket.ConnectAsync(Gateway.ChannelsUri(kernel, "query-token", Gateway.Token), "query-token", headerToken: null));
        ReceivedFrame reply = await socket.KernelInfoAsync();
        Assert.Equal("ok", reply.ContentText("status"));

        var (status, unknown, error) = await KernelSocket.TryConnectAsync(Gateway.ChannelsUri(Guid.NewGuid().ToString(), "s", null), "s", Gateway.Token);
        if (unknown is not null)
        {
            await unknown.DisposeAsync();
        }
        Assert.True(status == HttpStatusCode.NotFound, $"unknown kernel: HTTP {(int)status} ({error})");
    }
}
