using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Transport;

namespace NotebookGateway.Docker.Containers;

/// <summary>The <c>/containers</c> endpoints.</summary>
public sealed class ContainerOperations
{
    private const string MultiplexedStream = "application/vnd.docker.multiplexed-stream";
    private const string RawStream = "application/vnd.docker.raw-stream";

    private readonly DockerTransport _transport;

    internal ContainerOperations(DockerTransport transport) => _transport = transport;

    /// <summary><c>POST /containers/create</c>. Engine warnings are logged and returned.</summary>
    /// <param name="name">Container name; null lets the engine pick one.</param>
    public async Task<ContainerCreateResponse> CreateAsync(ContainerCreateRequest request, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = new QueryString().Add("name", name);
        using var content = DockerTransport.Json(request, DockerJsonContext.Default.ContainerCreateRequest);
        var created = await _transport.SendForJsonAsync(
            HttpMethod.Post, "/containers/create", query, content,
            DockerJsonContext.Default.ContainerCreateResponse, $"create container {name ?? request.Image}", cancellationToken).ConfigureAwait(false);
        DockerLog.ContainerCreated(_transport.Logger, created.Id, name ?? "", request.Image);
        foreach (var warning in created.Warnings ?? [])
        {
            DockerLog.ContainerCreateWarning(_transport.Logger, created.Id, warning);
        }

        return created;
    }

    /// <summary><c>POST /containers/{id}/start</c>.</summary>
    /// <returns>False when the container was already running (304).</returns>
    public async Task<bool> StartAsync(string id, CancellationToken cancellationToken = default)
    {
        var status = await _transport.SendAsync(HttpMethod.Post, $"/containers/{Escape(id)}/start", null, $"start container {id}", cancellationToken).ConfigureAwait(false);
        return status != HttpStatusCode.NotModified;
    }

    /// <summary><c>GET /containers/{id}/json</c>.</summary>
    /// <exception cref="DockerNotFoundException">No such container.</exception>
    public Task<ContainerInspectResponse> InspectAsync(string id, CancellationToken cancellationToken = default) =>
        _transport.SendForJsonAsync(
            HttpMethod.Get, $"/containers/{Escape(id)}/json", null, null,
            DockerJsonContext.Default.ContainerInspectResponse, $"inspect container {id}", cancellationToken);

    /// <summary>Like <see cref="InspectAsync"/> but null when the container does not exist.</summary>
    public async Task<ContainerInspectResponse?> TryInspectAsync(string id, CancellationToken cancellationToken = default)
    {
        try
        {
            return await InspectAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// <c>POST /containers/{id}/wait</c>: blocks until the condition holds, so it is bounded only by
    /// <paramref name="cancellationToken"/>, not by the request timeout.
    /// </summary>
    public async Task<ContainerWaitResponse> WaitAsync(string id, ContainerWaitCondition condition = ContainerWaitCondition.NotRunning, CancellationToken cancellationToken = default)
    {
        var query = new QueryString().Add("condition", condition switch
        {
            ContainerWaitCondition.NextExit => "next-exit",
            ContainerWaitCondition.Removed => "removed",
            _ => "not-running",
        });
        var operation = $"wait for container {id}";
        using var response = await _transport.OpenStreamAsync(HttpMethod.Post, $"/containers/{Escape(id)}/wait", query, null, operation, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await foreach (var result in JsonLinesReader.ReadAsync(stream, DockerJsonContext.Default.ContainerWaitResponse, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                return result;
            }
        }

        throw new DockerProtocolException($"Docker {operation} ended without a result.");
    }

    /// <summary><c>POST /containers/{id}/kill</c>.</summary>
    /// <param name="signal">Name (<c>SIGTERM</c>) or number (<c>15</c>).</param>
    /// <exception cref="DockerConflictException">The container is not running.</exception>
    public async Task KillAsync(string id, string signal = "SIGKILL", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(signal);
        var query = new QueryString().Add("signal", signal);
        await _transport.SendAsync(HttpMethod.Post, $"/containers/{Escape(id)}/kill", query, $"kill container {id} with {signal}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /containers/{id}/stop</c>: the stop signal, then SIGKILL after <paramref name="timeout"/>.</summary>
    /// <param name="timeout">Grace period; null uses the container's StopTimeout (engine default 10 s).</param>
    /// <returns>False when the container was already stopped (304).</returns>
    public async Task<bool> StopAsync(string id, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var seconds = timeout is { } t ? (long)Math.Ceiling(t.TotalSeconds) : (long?)null;
        var query = new QueryString().Add("t", seconds);

        // The engine answers only after the grace period, so the request timeout must not cut it short.
        var grace = TimeSpan.FromSeconds(seconds ?? 10);
        var status = await _transport.SendAsync(HttpMethod.Post, $"/containers/{Escape(id)}/stop", query, $"stop container {id}", grace, cancellationToken).ConfigureAwait(false);
        return status != HttpStatusCode.NotModified;
    }

    /// <summary><c>DELETE /containers/{id}</c>.</summary>
    /// <param name="force">Kill it first if running.</param>
    /// <param name="removeVolumes">Also remove anonymous volumes.</param>
    public async Task RemoveAsync(string id, bool force = false, bool removeVolumes = false, CancellationToken cancellationToken = default)
    {
        await _transport.EnsureNegotiatedAsync(cancellationToken).ConfigureAwait(false);
        if (force && _transport.IsPodman)
        {
            // dockerd's forced removal kills at once; Podman's stops the container first (SIGTERM, then its stop timeout).
            try
            {
                await KillAsync(id, "SIGKILL", cancellationToken).ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.IsConflict || ex.IsNotFound)
            {
                // Not running any more, or gone: the removal below says which.
            }
        }

        var query = new QueryString().Add("force", force).Add("v", removeVolumes);
        await _transport.SendAsync(HttpMethod.Delete, $"/containers/{Escape(id)}", query, $"remove container {id}", cancellationToken).ConfigureAwait(false);
        DockerLog.ContainerRemoved(_transport.Logger, id, force);
    }

    /// <summary><c>GET /containers/json</c>, e.g. every container carrying a label.</summary>
    public Task<IReadOnlyList<ContainerSummary>> ListAsync(ContainerListParameters? parameters = null, CancellationToken cancellationToken = default)
    {
        parameters ??= new ContainerListParameters();
        var query = new QueryString().Add("all", parameters.All).AddFilters(parameters.Filters);
        return _transport.SendForJsonAsync(
            HttpMethod.Get, "/containers/json", query, null,
            DockerJsonContext.Default.IReadOnlyListContainerSummary, "list containers", cancellationToken);
    }

    /// <summary><c>GET /containers/{id}/top</c>: the container's processes as a <c>ps</c> table.</summary>
    /// <exception cref="DockerConflictException">The container is not running.</exception>
    public Task<ContainerTopResponse> TopAsync(string id, string? psArgs = null, CancellationToken cancellationToken = default) =>
        _transport.SendForJsonAsync(
            HttpMethod.Get, $"/containers/{Escape(id)}/top", new QueryString().Add("ps_args", psArgs), null,
            DockerJsonContext.Default.ContainerTopResponse, $"top container {id}", cancellationToken);

    /// <summary>
    /// Collects the container's logs (no follow), split into stdout and stderr, keeping at most
    /// <see cref="ContainerLogsParameters.MaxBytes"/>. Bounded by the request timeout.
    /// </summary>
    public Task<ContainerLogs> GetLogsAsync(string id, ContainerLogsParameters? parameters = null, CancellationToken cancellationToken = default)
    {
        parameters = (parameters ?? new ContainerLogsParameters()) with { Follow = false };
        return _transport.RunBoundedAsync(_transport.Options.RequestTimeout, $"logs of container {id}", async token =>
        {
            using var stdout = new MemoryStream();
            using var stderr = new MemoryStream();
            var budget = parameters.MaxBytes;
            var truncated = false;
            await foreach (var frame in StreamLogsAsync(id, parameters, token).ConfigureAwait(false))
            {
                var target = frame.Stream == LogStreamKind.Stderr ? stderr : stdout;
                var take = (int)Math.Min(frame.Payload.Length, budget);
                target.Write(frame.Payload.Span[..take]);
                budget -= take;
                if (take < frame.Payload.Length)
                {
                    // Stop reading: output is cheap to produce, we must not pull unbounded data.
                    truncated = true;
                    break;
                }
            }

            return new ContainerLogs(Decode(stdout), Decode(stderr), truncated);
        }, cancellationToken);
    }

    /// <summary>
    /// Streams the container's output frame by frame. With <see cref="ContainerLogsParameters.Follow"/> it lasts
    /// until the container stops or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async IAsyncEnumerable<LogFrame> StreamLogsAsync(
        string id,
        ContainerLogsParameters? parameters = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        parameters ??= new ContainerLogsParameters();
        var query = new QueryString()
            .Add("stdout", parameters.Stdout)
            .Add("stderr", parameters.Stderr)
            .Add("follow", parameters.Follow)
            .Add("timestamps", parameters.Timestamps)
            .Add("tail", parameters.Tail?.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("since", parameters.Since is { } since ? QueryString.FormatTimestamp(since) : null)
            .Add("until", parameters.Until is { } until ? QueryString.FormatTimestamp(until) : null);
        using var response = await _transport.OpenStreamAsync(HttpMethod.Get, $"/containers/{Escape(id)}/logs", query, null, $"logs of container {id}", cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var frames = IsRaw(response, parameters)
                ? LogDemultiplexer.ReadRawAsync(stream, cancellationToken)
                : LogDemultiplexer.ReadFramesAsync(stream, cancellationToken: cancellationToken);
            await foreach (var frame in frames.ConfigureAwait(false))
            {
                yield return frame;
            }
        }
    }

    private bool IsRaw(HttpResponseMessage response, ContainerLogsParameters parameters)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (string.Equals(mediaType, MultiplexedStream, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // From API 1.42 the engine labels TTY output as raw; before that it says raw-stream for everything.
        var labelsAreReliable = ApiVersionNumber.TryParse(_transport.ApiVersion, out var api) && api >= new ApiVersionNumber(1, 42);
        return parameters.Tty || (labelsAreReliable && string.Equals(mediaType, RawStream, StringComparison.OrdinalIgnoreCase));
    }

    private static string Decode(MemoryStream stream) =>
        Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);

    private static string Escape(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Uri.EscapeDataString(id);
    }
}
