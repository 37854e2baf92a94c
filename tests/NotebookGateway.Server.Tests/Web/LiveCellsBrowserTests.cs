using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Web;

/// <summary>
/// A gateway whose hub admits pages of one other origin, <c>http://127.0.0.1:{ForeignPort}</c>: the origin of the page
/// server the browser test starts (the positive control of the CORS test).
/// </summary>
public sealed class LiveCellsCorsGatewayFixture : GatewayFixture, IDisposable
{
    // Held until the node test is about to listen on it, so no outgoing connection takes it as its local port meanwhile.
    private readonly TcpListener _reservation = Reserve();

    /// <summary>The port of the foreign page; call <see cref="ReleaseForeignPort"/> just before the node test listens on it.</summary>
    public int ForeignPort => ((IPEndPoint)_reservation.LocalEndpoint).Port;

    public string ForeignOrigin => $"http://127.0.0.1:{ForeignPort}";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Hub:AllowOrigins:0"] = ForeignOrigin,
    };

    public void ReleaseForeignPort() => _reservation.Stop();

    public void Dispose() => _reservation.Dispose();

    private static TcpListener Reserve()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }
}

/// <summary>
/// The embed script in a real browser: <c>tests/js/live-cells.browser.test.mjs</c> (playwright-core driving Debian's
/// chromium) against the demo page of the default gateway, and a page of another origin against that gateway (refused)
/// and against <see cref="LiveCellsCorsGatewayFixture"/> (allowed); also the script's pure logic
/// (<c>tests/js/live-cells.unit.test.mjs</c>). The screenshot of the demo is kept in
/// <c>artifacts/live-cells-demo.png</c> under the test output folder.
/// </summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class LiveCellsBrowserTests(DefaultGatewayFixture fixture, LiveCellsCorsGatewayFixture corsFixture, ITestOutputHelper output)
    : GatewayTest(fixture, output), IClassFixture<LiveCellsCorsGatewayFixture>
{
    private const string Script = "tests/js/live-cells.browser.test.mjs";
    private const string UnitScript = "tests/js/live-cells.unit.test.mjs";
    private const string Chromium = "/usr/bin/chromium";
    private const string SetupHint = "run bash scripts/setup.sh (it installs Debian's chromium and the tests/js packages with npm ci --prefix tests/js)";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    public static string ScreenshotPath => Path.Combine(AppContext.BaseDirectory, "artifacts", "live-cells-demo.png");

    [Fact]
    public async Task The_demo_runs_in_a_real_browser_and_a_page_of_a_refused_origin_cannot_start_a_kernel()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium ({SetupHint})");
        // The unit tests import the script's sources, which import @microsoft/signalr from web/live-cells.
        await NodeTests.RequireAsync(SetupHint, "tests/js/node_modules/playwright-core/package.json", "web/live-cells/node_modules/@microsoft/signalr/package.json");
        Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
        File.Delete(ScreenshotPath); // a screenshot from an earlier run must not pass for this one

        int foreignPort = corsFixture.ForeignPort;
        corsFixture.ReleaseForeignPort();
        try
        {
            await NodeTests.RunAsync(Output, [Script, UnitScript], new Dictionary<string, string>
            {
                ["GATEWAY_URL"] = Gateway.BaseUri.ToString(),
                ["GATEWAY_TOKEN"] = Gateway.Token,
                ["CORS_GATEWAY_URL"] = corsFixture.Gateway.BaseUri.ToString(),
                ["CORS_GATEWAY_TOKEN"] = corsFixture.Gateway.Token,
                ["FOREIGN_PORT"] = foreignPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["SCREENSHOT_PATH"] = ScreenshotPath,
                ["CHROMIUM_PATH"] = Chromium,
            }, RunTimeout, minimumPassed: 13, SetupHint);
        }
        finally
        {
            Output.WriteLine($"--- CORS gateway output ---\n{corsFixture.Gateway.RecentOutput(200)}");
        }
        Assert.True(new FileInfo(ScreenshotPath).Length > 10_000, $"no screenshot at {ScreenshotPath}");
        // CI shows this line (scripts/test.sh also lists the artifacts).
        Console.WriteLine($"live-cells screenshot: {ScreenshotPath}");
        Output.WriteLine($"live-cells screenshot: {ScreenshotPath}");
    }
}
