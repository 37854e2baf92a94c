using System.Net.Sockets;
using NotebookGateway.Docker.Tests.Support;
using NotebookGateway.Docker.Transport;

namespace NotebookGateway.Docker.Tests.Transport;

public sealed class VersionNegotiationTests
{
    [Fact]
    public async Task NegotiateAsync_EngineApi140_ThrowsUnsupportedEngine()
    {
        await using var engine = await FakeEngine.StartAsync("1.40", engineVersion: "19.03.15");
        using var client = engine.CreateClient();

        var error = await Assert.ThrowsAsync<DockerUnsupportedEngineException>(() => client.NegotiateAsync());

        Assert.Equal("1.40", error.EngineApiVersion);
        Assert.Equal("19.03.15", error.EngineVersion);
        Assert.Contains("20.10", error.Message, StringComparison.Ordinal);
        Assert.Contains("1.41", error.Message, StringComparison.Ordinal);
        Assert.Null(client.ApiVersion);
    }

    [Fact]
    public async Task InspectAsync_EngineApi140_RefusesBeforeSendingRequest()
    {
        await using var engine = await FakeEngine.StartAsync("1.40");
        using var client = engine.CreateClient();

        await Assert.ThrowsAsync<DockerUnsupportedEngineException>(() => client.Containers.InspectAsync("abc"));

        Assert.Equal(["GET /version"], engine.Requests);
    }

    [Fact]
    public async Task ConnectAsync_EngineApi141_UsesApi141Prefix()
    {
        await using var engine = await FakeEngine.StartAsync("1.41", engineVersion: "20.10.24+dfsg1");
        engine.Handler = context => FakeEngine.WriteJsonAsync(context, 200, """{"Id":"abc","Name":"/x"}""");
        using var client = await DockerClient.ConnectAsync(new DockerClientOptions { SocketPath = engine.SocketPath });

        var inspected = await client.Containers.InspectAsync("abc");

        Assert.Equal("1.41", client.ApiVersion);
        Assert.Equal("20.10.24+dfsg1", client.EngineVersion);
        Assert.Equal("abc", inspected.Id);
        Assert.Equal(["GET /version", "GET /v1.41/containers/abc/json"], engine.Requests);
    }

    [Fact]
    public async Task NegotiateAsync_EngineApi152_CapsAtMaximumSupported()
    {
        await using var engine = await FakeEngine.StartAsync("1.52", minApiVersion: "1.44", engineVersion: "29.0.0");
        engine.Handler = context => FakeEngine.WriteJsonAsync(context, 200, "[]");
        using var client = engine.CreateClient();

        await client.Containers.ListAsync();

        Assert.Equal(DockerClient.MaximumApiVersion, client.ApiVersion);
        Assert.StartsWith($"GET /v{DockerClient.MaximumApiVersion}/containers/json", engine.Requests.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NegotiateAsync_EngineMinimumAboveOurMaximum_ThrowsUnsupportedEngine()
    {
        await using var engine = await FakeEngine.StartAsync("1.60", minApiVersion: "1.50");
        using var client = engine.CreateClient();

        var error = await Assert.ThrowsAsync<DockerUnsupportedEngineException>(() => client.NegotiateAsync());

        Assert.Contains("requires API 1.50", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NegotiateAsync_ForcedApiVersion_UsesItWithoutCapping()
    {
        await using var engine = await FakeEngine.StartAsync("1.52");
        using var client = engine.CreateClient(new DockerClientOptions { ApiVersion = "1.44" });

        await client.NegotiateAsync();

        Assert.Equal("1.44", client.ApiVersion);
    }

    [Fact]
    public void Constructor_ForcedApiVersionBelowMinimum_Throws()
    {
        Assert.Throws<ArgumentException>(() => new DockerClient(new DockerClientOptions { ApiVersion = "1.40" }));
        Assert.Throws<ArgumentException>(() => new DockerClient(new DockerClientOptions { ApiVersion = "latest" }));
    }

    [Fact]
    public async Task NegotiateAsync_PodmanVersionPayload_Negotiates()
    {
        // Podman's compat service: components, no Docker-specific headers; only the documented body matters.
        await using var engine = await FakeEngine.StartAsync("1.41");
        engine.VersionJson = """
            {"Platform":{"Name":"linux/amd64/debian-12"},"Components":[{"Name":"Podman Engine","Version":"4.3.1",
            "Details":{"APIVersion":"4.3.1","MinAPIVersion":"4.0.0"}}],"Version":"4.3.1","ApiVersion":"1.41",
            "MinAPIVersion":"1.24","Os":"linux","Arch":"amd64","KernelVersion":"6.1.0"}
            """;
        using var client = engine.CreateClient();

        await client.NegotiateAsync();

        Assert.Equal("1.41", client.ApiVersion);
        Assert.Equal("4.3.1", client.EngineVersion);
        Assert.True(client.IsPodman);
    }

    [Fact]
    public async Task NegotiateAsync_CalledConcurrently_QueriesVersionOnce()
    {
        await using var engine = await FakeEngine.StartAsync("1.43");
        using var client = engine.CreateClient();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.NegotiateAsync()));

        Assert.Single(engine.Requests);
        Assert.Equal("1.43", client.ApiVersion);
    }

    [Fact]
    public async Task ConnectAsync_MissingSocket_ThrowsUnavailableWithInstallHint()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nbgw-missing-{Guid.NewGuid():N}.sock");

        var error = await Assert.ThrowsAsync<DockerUnavailableException>(
            () => DockerClient.ConnectAsync(new DockerClientOptions { SocketPath = path }));

        Assert.Equal(path, error.SocketPath);
        Assert.Contains("No Docker Engine socket", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y docker.io", error.Message, StringComparison.Ordinal);
        Assert.Contains("dockerd", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_SocketWithoutListener_ThrowsUnavailableConnectionRefused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nbgw-refused-{Guid.NewGuid():N}.sock");
        using (var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // Bound but never listening: connect() gets ECONNREFUSED, like a stale socket of a dead dockerd.
            bound.Bind(new UnixDomainSocketEndPoint(path));
            try
            {
                var error = await Assert.ThrowsAsync<DockerUnavailableException>(
                    () => DockerClient.ConnectAsync(new DockerClientOptions { SocketPath = path }));

                Assert.Equal(SocketError.ConnectionRefused, error.SocketError);
                Assert.Contains("nothing is listening", error.Message, StringComparison.Ordinal);
                Assert.Contains("dockerd", error.Message, StringComparison.Ordinal);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [Theory]
    [InlineData("1.41", 1, 41)]
    [InlineData(" 1.9 ", 1, 9)]
    [InlineData("2.0", 2, 0)]
    public void ApiVersionNumberTryParse_ValidText_Parses(string text, int major, int minor)
    {
        Assert.True(ApiVersionNumber.TryParse(text, out var version));
        Assert.Equal(new ApiVersionNumber(major, minor), version);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1.41.0")]
    [InlineData("v1.41")]
    [InlineData("1.-1")]
    public void ApiVersionNumberTryParse_InvalidText_Fails(string? text)
    {
        Assert.False(ApiVersionNumber.TryParse(text, out _));
    }

    [Fact]
    public void ApiVersionNumberCompare_NumericMinor_NotLexical()
    {
        Assert.True(new ApiVersionNumber(1, 9) < new ApiVersionNumber(1, 41));
        Assert.Equal("1.41", ApiVersionNumber.Min(new(1, 52), new(1, 41)).ToString());
    }
}
