using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotebookGateway.Docker;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Specs;

/// <summary>
/// Discovers kernelspecs in the configured directories and checks that each one's image is present on the engine and
/// was verified at build time to provide that kernel (<see cref="VerifiedKernel"/>). Only available specs are
/// advertised; the others are listed with the reason (one log line each).
/// </summary>
public sealed partial class KernelSpecCatalog : IDisposable
{
    private readonly DockerClient _docker;
    private readonly IOptions<SandboxOptions> _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile KernelSpecSnapshot? _current;
    private long _takenAt;

    public KernelSpecCatalog(DockerClient docker, IOptions<SandboxOptions> options, ILogger<KernelSpecCatalog> logger)
    {
        _docker = docker;
        _options = options;
        _logger = logger;
    }

    /// <summary>The last refresh, or null before the first.</summary>
    public KernelSpecSnapshot? Current => _current;

    /// <summary>The current snapshot if it was taken less than <paramref name="maxAge"/> ago, else a fresh one.</summary>
    public Task<KernelSpecSnapshot> GetRecentAsync(TimeSpan maxAge, CancellationToken cancellationToken = default) =>
        _current is { } current && System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _takenAt)) < maxAge
            ? Task.FromResult(current)
            : RefreshAsync(cancellationToken);

    /// <summary>Re-reads every kernelspec directory and inspects the images.</summary>
    public async Task<KernelSpecSnapshot> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var options = _options.Value;
            var available = new Dictionary<string, KernelSpec>(StringComparer.Ordinal);
            var unavailable = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var root in options.KernelSpecDirectories)
            {
                if (!Directory.Exists(root))
                {
                    Log.DirectoryMissing(_logger, root);
                    continue;
                }

                foreach (var directory in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
                {
                    var name = Path.GetFileName(directory);
                    if (available.ContainsKey(name) || unavailable.ContainsKey(name))
                    {
                        // Like Jupyter: the first directory that has a name wins.
                        continue;
                    }

                    if (!File.Exists(Path.Combine(directory, "kernel.json")))
                    {
                        continue;
                    }

                    try
                    {
                        var spec = await KernelSpecParser.LoadAsync(directory, options.Envelope, cancellationToken).ConfigureAwait(false);
                        var image = await _docker.Images.TryInspectAsync(spec.Sandbox.Image, cancellationToken).ConfigureAwait(false);
                        var verified = VerifiedKernel.Find(image?.Config?.Labels, spec);
                        string? reason = image is null
                            ? $"image {spec.Sandbox.Image} is not present (build it: bash scripts/build-images.sh)"
                            : verified is null && options.RequireVerifiedImages
                                ? $"image {spec.Sandbox.Image} carries no build-time verification of this kernel (argv, language '{spec.Language}', transport {KernelSpecParser.TransportName(spec.Sandbox.Transport)}); rebuild it: bash scripts/build-images.sh"
                                : null;
                        if (reason is not null)
                        {
                            unavailable[name] = reason;
                            Log.SpecUnavailable(_logger, name, reason);
                        }
                        else
                        {
                            available[name] = spec with { Verified = verified };
                        }
                    }
                    catch (KernelSpecException ex)
                    {
                        unavailable[name] = ex.Message;
                        Log.SpecInvalid(_logger, name, ex.Message);
                    }
                    catch (IOException ex)
                    {
                        unavailable[name] = ex.Message;
                        Log.SpecInvalid(_logger, name, ex.Message);
                    }
                }
            }

            var snapshot = new KernelSpecSnapshot(available, unavailable);
            Volatile.Write(ref _takenAt, System.Diagnostics.Stopwatch.GetTimestamp());
            _current = snapshot;
            Log.Refreshed(_logger, available.Count, unavailable.Count);
            return snapshot;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>
    /// An available spec by name. Refreshes first when the catalog was never loaded or when the name is not
    /// available yet (its image may have been built since).
    /// </summary>
    /// <exception cref="KernelSpecNotFoundException">Unknown, invalid, or its image is missing.</exception>
    public async Task<KernelSpec> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var snapshot = _current;
        if (snapshot is null || !snapshot.Available.ContainsKey(name))
        {
            snapshot = await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        if (snapshot.Available.TryGetValue(name, out var spec))
        {
            return spec;
        }

        throw new KernelSpecNotFoundException(snapshot.Unavailable.TryGetValue(name, out var reason)
            ? $"Kernelspec '{name}' is not available: {reason}"
            : $"No kernelspec named '{name}'.");
    }

    public void Dispose() => _refreshing.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Kernelspec directory `{Directory}` does not exist")]
        public static partial void DirectoryMissing(ILogger logger, string directory);

        [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Kernelspec `{Name}` is not available: {Reason}")]
        public static partial void SpecUnavailable(ILogger logger, string name, string reason);

        [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Kernelspec `{Name}` is invalid: {Reason}")]
        public static partial void SpecInvalid(ILogger logger, string name, string reason);

        [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Kernelspecs loaded: {Available} available, {Unavailable} unavailable")]
        public static partial void Refreshed(ILogger logger, int available, int unavailable);
    }
}

/// <summary>One load of the kernelspec directories.</summary>
/// <param name="Available">Specs whose image is present, by name.</param>
/// <param name="Unavailable">Name → why it cannot be used (invalid kernel.json, missing image).</param>
public sealed record KernelSpecSnapshot(IReadOnlyDictionary<string, KernelSpec> Available, IReadOnlyDictionary<string, string> Unavailable);
