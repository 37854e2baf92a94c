using System.Net;

namespace NotebookGateway.Server.Tests.Harness;

/// <summary>The harness itself: the real process starts on a free port with a random token, answers, and stops on SIGTERM.</summary>
public sealed class GatewayProcessTests
{
    [Fact]
    public async Task Gateway_process_starts_answers_api_and_exits_within_30_s_of_SIGTERM()
    {
        GatewayProcess gateway = await GatewayProcess.StartAsync();
        try
        {
            Assert.Equal($"http://127.0.0.1:{gateway.Port}/", gateway.BaseUri.ToString());
            RestResponse api = await GatewayRest.GetAsync(gateway, "api");
            GatewayRest.ExpectStatus(api, HttpStatusCode.OK, gateway);
            Assert.False(string.IsNullOrEmpty(api.Json?["version"]?.GetValue<string>()), $"no version: {api}");
        }
        finally
        {
            GatewayExit exit = await gateway.StopAsync();
            Assert.Equal(0, exit.ExitCode);
            Assert.True(exit.StopDuration < TestTimeouts.GatewayStop, $"stopped in {exit.StopDuration}");
        }
    }

    [Fact]
    public async Task Two_gateways_run_side_by_side_with_their_own_ports_and_tokens()
    {
        await using GatewayProcess first = await GatewayProcess.StartAsync();
        await using GatewayProcess second = await GatewayProcess.StartAsync();
        Assert.NotEqual(first.Port, second.Port);
        Assert.NotEqual(first.Token, second.Token);
        Assert.NotEqual(first.Owner, second.Owner);

        // Each accepts only its own token.
        using HttpClient crossed = first.CreateHttpClient(second.Token);
        RestResponse refused = await GatewayRest.SendAsync(crossed, HttpMethod.Get, first.Url("api"));
        GatewayRest.ExpectStatus(refused, HttpStatusCode.Unauthorized, first);
        GatewayRest.ExpectStatus(await GatewayRest.GetAsync(second, "api"), HttpStatusCode.OK, second);
    }
}
