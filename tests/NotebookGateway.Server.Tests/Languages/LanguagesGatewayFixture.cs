using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;

namespace NotebookGateway.Server.Tests.Languages;

/// <summary>
/// The gateway of the language tests: every kernelspec of the repository (each image verified at build time), output
/// cut at 64 KiB per cell so a flood shows the notice quickly. One kernel per language is kept for the whole
/// collection (a kernel start of R or Java is the slow part); a test that kills or restarts it leaves it usable.
/// </summary>
public sealed class LanguagesGatewayFixture : GatewayFixture
{
    public const int OutputBytesPerCell = 64 * 1024;

    private readonly ConcurrentDictionary<string, string> _kernels = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _starting = new(1, 1);

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Channels:OutputBytesPerCell"] = OutputBytesPerCell.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // A JavaScript memory hog is killed by the cgroup only after it fills 512 MiB; nothing here may hit the wall clock.
        ["Execution:WallClockSecondsPerCell"] = "120",
        // One kernel per language at once (eleven, up to 1 GiB each), plus the few a test starts of its own.
        ["Quotas:Default:MaxKernels"] = "20",
        ["Quotas:Default:MaxMemoryMiB"] = "0",
    };

    /// <summary>The collection's kernel of <paramref name="spec"/>, started on first use and restarted when it died.</summary>
    public async Task<string> KernelAsync(string spec)
    {
        await _starting.WaitAsync();
        try
        {
            if (_kernels.TryGetValue(spec, out string? id))
            {
                RestResponse state = await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}");
                if (state.Status == HttpStatusCode.OK && state.Json?["execution_state"]?.GetValue<string>() != "dead")
                {
                    return id;
                }
                if (state.Status == HttpStatusCode.OK)
                {
                    await RestartAsync(id);
                    return id;
                }
            }
            id = await GatewayRest.StartKernelAsync(Gateway, spec);
            _kernels[spec] = id;
            return id;
        }
        finally
        {
            _starting.Release();
        }
    }

    /// <summary>POST /api/kernels/{id}/restart, which must succeed.</summary>
    public async Task RestartAsync(string kernelId)
    {
        RestResponse restart = await GatewayRest.PostAsync(Gateway, $"api/kernels/{kernelId}/restart", "{}", TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(restart, HttpStatusCode.OK, Gateway);
    }

    /// <summary>The spec's entry of GET /api/kernelspecs.</summary>
    public async Task<JsonObject?> SpecAsync(string spec) =>
        (await GatewayRest.GetAsync(Gateway, "api/kernelspecs")).Json?["kernelspecs"]?[spec] as JsonObject;
}

[CollectionDefinition(Name)]
public sealed class LanguagesGatewayCollection : ICollectionFixture<LanguagesGatewayFixture>
{
    public const string Name = "languages gateway";
}
