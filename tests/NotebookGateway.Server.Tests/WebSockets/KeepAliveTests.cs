using System.Diagnostics;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.WebSockets;

/// <summary>Idle channel websockets get keep-alive pings (every Channels:PingIntervalSeconds; 1 s in this fixture).</summary>
[Collection(LimitsGatewayCollection.Name)]
public sealed class KeepAliveTests(LimitsGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    // websocket-client (Debian python3-websocket) hands control frames to the caller with control_frame=True.
    private const string Probe = """
        import sys, websocket
        ws = websocket.create_connection(sys.argv[1], header=['Authorization: token ' + sys.argv[2]], timeout=10)
        opcode, frame = ws.recv_data_frame(True)
        print(opcode)
        ws.close()
        """;

    [Fact]
    public async Task IdleSocket_ReceivesAPingFromTheGateway()
    {
        string id = await Fixture.SharedKernelAsync();
        string url = Gateway.ChannelsUri(id, "keepalive", queryToken: null).ToString();
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Probe);
        start.ArgumentList.Add(url);
        start.ArgumentList.Add(Gateway.Token);
        using Process probe = Process.Start(start)!;
        Task<string> stdout = probe.StandardOutput.ReadToEndAsync();
        Task<string> stderr = probe.StandardError.ReadToEndAsync();
        await probe.WaitForExitAsync().WaitAsync(TestTimeouts.Step);

        Assert.True(probe.ExitCode == 0, "websocket probe failed (apt-get install python3-websocket?): " + await stderr);
        // 9 = ping (what the gateway sends with a keep-alive timeout), 10 = unsolicited pong.
        Assert.Contains((await stdout).Trim(), new[] { "9", "10" });
    }
}
