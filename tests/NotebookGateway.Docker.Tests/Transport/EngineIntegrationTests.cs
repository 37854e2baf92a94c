using NotebookGateway.Docker.Tests.Support;
using NotebookGateway.Docker.Transport;

namespace NotebookGateway.Docker.Tests.Transport;

[Collection(DockerEngineCollection.Name)]
public sealed class EngineIntegrationTests(DockerEngineFixture engine)
{
    [Fact]
    public async Task NegotiateAsync_RealEngine_UsesEngineApiCappedAtMaximum()
    {
        var version = await engine.Client.GetVersionAsync(EngineTestScope.Deadline());

        var expected = ApiVersionNumber.Min(ApiVersionNumber.Parse(version.ApiVersion!), ApiVersionNumber.Parse(DockerClient.MaximumApiVersion));
        Assert.Equal(expected.ToString(), engine.Client.ApiVersion);
        Assert.Equal(version.Version, engine.Client.EngineVersion);
        Assert.True(ApiVersionNumber.Parse(engine.Client.ApiVersion!) >= ApiVersionNumber.Parse(DockerClient.MinimumApiVersion));
    }
}
