namespace NotebookGateway.Docker.Tests.Support;

/// <summary>
/// The real engine (<see cref="TestEngine"/>: Docker, or Podman with <c>NBGW_TEST_ENGINE=podman</c>), with the test image in place.
/// A missing engine fails every test of the collection with the install hint; the tests are never skipped.
/// </summary>
public sealed class DockerEngineFixture : IAsyncLifetime
{
    private DockerClient? _client;

    /// <summary>Marks everything one test process creates, for the final sweep.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N");

    public DockerClient Client => _client ?? throw new InvalidOperationException("Fixture not initialised.");

    public static string SocketPath => TestEngine.SocketPath;

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _client = new DockerClient(new DockerClientOptions { SocketPath = SocketPath });
        await _client.NegotiateAsync(cts.Token);
        await BusyboxImage.EnsureAsync(_client, cts.Token);
    }

    public async Task DisposeAsync()
    {
        if (_client?.ApiVersion is null)
        {
            // Never reached the engine: InitializeAsync already failed every test with the reason.
            _client?.Dispose();
            return;
        }

        // Each test removes its own objects; this is the backstop, and it fails loudly if it had work to do.
        var leftovers = await EngineTestScope.RemoveLabelledAsync(_client, $"{EngineTestScope.RunLabel}={RunId}");
        _client.Dispose();
        if (leftovers.Count > 0)
        {
            throw new InvalidOperationException($"Tests left labelled objects behind: {string.Join(", ", leftovers)}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DockerEngineCollection : ICollectionFixture<DockerEngineFixture>
{
    public const string Name = "Docker engine";
}
