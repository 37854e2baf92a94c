using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using NotebookGateway.Docker.Models;

namespace NotebookGateway.Docker.Transport;

/// <summary>
/// HTTP over the engine's Unix socket: API version prefix, timeouts and the mapping of failures to typed
/// exceptions. Every operation class goes through here, so those rules live in one place.
/// </summary>
internal sealed class DockerTransport : IDisposable
{
    public static readonly ApiVersionNumber MinimumApiVersion = new(1, 41);

    public static readonly ApiVersionNumber MaximumApiVersion = new(1, 47);

    private const int MaxErrorBodyChars = 16 * 1024;

    private readonly HttpClient _http;
    private readonly SemaphoreSlim _negotiation = new(1, 1);
    private readonly ApiVersionNumber? _forcedVersion;
    private volatile string? _prefix;

    public DockerTransport(DockerClientOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.SocketPath);
        if (options.RequestTimeout <= TimeSpan.Zero && options.RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RequestTimeout, "RequestTimeout must be positive.");
        }

        if (options.ApiVersion is not null)
        {
            if (!ApiVersionNumber.TryParse(options.ApiVersion, out var forced))
            {
                throw new ArgumentException($"ApiVersion '{options.ApiVersion}' is not a version like 1.41.", nameof(options));
            }

            if (forced < MinimumApiVersion)
            {
                throw new ArgumentException($"ApiVersion {forced} is below the minimum this client supports ({MinimumApiVersion}).", nameof(options));
            }

            _forcedVersion = forced;
        }

        Options = options;
        Logger = logger;

        // The host name is never resolved (ConnectCallback dials the socket) but HTTP/1.1 needs one.
        _http = new HttpClient(UnixSocketHandler.Create(options.SocketPath), disposeHandler: true)
        {
            BaseAddress = new Uri("http://localhost/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public DockerClientOptions Options { get; }

    public ILogger Logger { get; }

    public string? EngineVersion { get; private set; }

    public string? ApiVersion { get; private set; }

    /// <summary>Whether the engine is Podman's compatible service (known once negotiated).</summary>
    public bool IsPodman { get; private set; }

    /// <summary>Negotiates once; a failure is not cached, so the next call retries (the engine may have started).</summary>
    public async Task EnsureNegotiatedAsync(CancellationToken cancellationToken)
    {
        if (_prefix is not null)
        {
            return;
        }

        await _negotiation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_prefix is not null)
            {
                return;
            }

            var version = await GetVersionAsync(cancellationToken).ConfigureAwait(false);
            var chosen = Negotiate(version, _forcedVersion, Logger);
            EngineVersion = version.Version ?? "unknown";
            IsPodman = version.Components?.Any(c => c.Name == "Podman Engine") == true;
            ApiVersion = chosen.ToString();
            _prefix = "/v" + ApiVersion;
            DockerLog.ApiNegotiated(Logger, EngineVersion, version.ApiVersion ?? "?", version.MinApiVersion ?? "?", Options.SocketPath, ApiVersion);
        }
        finally
        {
            _negotiation.Release();
        }
    }

    /// <summary><c>GET /version</c> on the unversioned path, which every engine serves.</summary>
    public Task<VersionResponse> GetVersionAsync(CancellationToken cancellationToken) =>
        RunBoundedAsync(Options.RequestTimeout, "get version", async token =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/version");
            using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, "get version", token).ConfigureAwait(false);
            return await ReadJsonAsync(response, DockerJsonContext.Default.VersionResponse, "get version", token).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Picks the API version to speak, or explains why this engine cannot be used.</summary>
    internal static ApiVersionNumber Negotiate(VersionResponse version, ApiVersionNumber? forced, ILogger logger)
    {
        var engine = version.Version ?? "unknown";
        var reported = version.ApiVersion ?? "";
        string? reason = null;
        ApiVersionNumber chosen = default;
        if (!ApiVersionNumber.TryParse(reported, out var engineApi))
        {
            reason = $"it did not report an API version (got '{reported}')";
        }
        else if (forced is { } f)
        {
            chosen = f;
        }
        else if (engineApi < MinimumApiVersion)
        {
            reason = $"API {engineApi} is older than {MinimumApiVersion}; NotebookGateway needs Docker Engine 20.10 (API {MinimumApiVersion}) or newer. Upgrade the engine (Debian 12: `apt-get install docker.io`).";
        }
        else
        {
            chosen = ApiVersionNumber.Min(engineApi, MaximumApiVersion);
            if (ApiVersionNumber.TryParse(version.MinApiVersion, out var engineMin) && chosen < engineMin)
            {
                reason = $"it requires API {engineMin} or newer but this client speaks at most {MaximumApiVersion}.";
            }
        }

        if (reason is not null)
        {
            DockerLog.EngineUnsupported(logger, engine, reported, reason);
            throw new DockerUnsupportedEngineException(engine, reported, $"Docker Engine {engine} (API {reported}) cannot be used: {reason}");
        }

        return chosen;
    }

    /// <summary>A call whose JSON answer is wanted, bounded by <see cref="DockerClientOptions.RequestTimeout"/>.</summary>
    public Task<T> SendForJsonAsync<T>(
        HttpMethod method,
        string path,
        QueryString? query,
        HttpContent? content,
        JsonTypeInfo<T> responseType,
        string operation,
        CancellationToken cancellationToken) =>
        RunBoundedAsync(Options.RequestTimeout, operation, async token =>
        {
            using var request = await CreateRequestAsync(method, path, query, content, token).ConfigureAwait(false);
            using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, operation, token).ConfigureAwait(false);
            return await ReadJsonAsync(response, responseType, operation, token).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>A call whose answer body does not matter; returns the status (204 vs 304 tells "done" from "already so").</summary>
    public Task<HttpStatusCode> SendAsync(
        HttpMethod method,
        string path,
        QueryString? query,
        string operation,
        CancellationToken cancellationToken) =>
        SendAsync(method, path, query, operation, TimeSpan.Zero, cancellationToken);

    /// <summary>As above, for calls the engine answers only after <paramref name="extraTimeout"/> (stop's grace period).</summary>
    public Task<HttpStatusCode> SendAsync(
        HttpMethod method,
        string path,
        QueryString? query,
        string operation,
        TimeSpan extraTimeout,
        CancellationToken cancellationToken) =>
        RunBoundedAsync(AddTimeout(Options.RequestTimeout, extraTimeout), operation, async token =>
        {
            using var request = await CreateRequestAsync(method, path, query, null, token).ConfigureAwait(false);
            using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, operation, token).ConfigureAwait(false);
            return response.StatusCode;
        }, cancellationToken);

    /// <summary>
    /// Opens a streaming answer (events, logs, import progress) once its headers arrived; the caller owns the
    /// response. Not bounded by RequestTimeout: these last as long as the caller's token allows.
    /// </summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(
        HttpMethod method,
        string path,
        QueryString? query,
        HttpContent? content,
        string operation,
        CancellationToken cancellationToken)
    {
        using var request = await CreateRequestAsync(method, path, query, content, cancellationToken).ConfigureAwait(false);
        return await SendCoreAsync(request, HttpCompletionOption.ResponseHeadersRead, operation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="action"/> under the caller's token plus a timeout, reporting the timeout as such.</summary>
    public async Task<T> RunBoundedAsync<T>(TimeSpan timeout, string operation, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await action(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && cts.IsCancellationRequested)
        {
            DockerLog.RequestTimedOut(Logger, operation, timeout);
            throw new TimeoutException($"Docker {operation} got no answer within {timeout.TotalSeconds:0.#} s.");
        }
    }

    public static JsonContent Json<T>(T value, JsonTypeInfo<T> typeInfo) =>
        JsonContent.Create(value, typeInfo, new MediaTypeHeaderValue("application/json"));

    public void Dispose()
    {
        _http.Dispose();
        _negotiation.Dispose();
    }

    private async Task<HttpRequestMessage> CreateRequestAsync(HttpMethod method, string path, QueryString? query, HttpContent? content, CancellationToken cancellationToken)
    {
        await EnsureNegotiatedAsync(cancellationToken).ConfigureAwait(false);
        return new HttpRequestMessage(method, _prefix + path + query) { Content = content };
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, HttpCompletionOption completion, string operation, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            var socketError = (ex.InnerException as SocketException)?.SocketErrorCode ?? SocketError.SocketError;
            DockerLog.EngineUnavailable(Logger, Options.SocketPath, socketError, operation);
            throw new DockerUnavailableException(Options.SocketPath, socketError, ex);
        }

        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
        {
            return response;
        }

        using (response)
        {
            var message = await ReadErrorMessageAsync(response, cancellationToken).ConfigureAwait(false);
            DockerLog.RequestFailed(Logger, operation, (int)response.StatusCode, message);
            throw DockerApiException.Create(response.StatusCode, message, operation);
        }
    }

    private static async Task<string> ReadErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            body = "";
        }

        if (body.Length > MaxErrorBodyChars)
        {
            body = body[..MaxErrorBodyChars];
        }

        try
        {
            var error = JsonSerializer.Deserialize(body, DockerJsonContext.Default.ErrorResponse);
            if (!string.IsNullOrWhiteSpace(error?.Message))
            {
                return error.Message;
            }
        }
        catch (JsonException)
        {
            // Not the documented {"message": …} shape (a proxy, an old engine); fall back to the raw text.
        }

        body = body.Trim();
        return body.Length > 0 ? body : response.ReasonPhrase ?? response.StatusCode.ToString();
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, string operation, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(bytes, typeInfo)
                ?? throw new DockerProtocolException($"Docker {operation} answered with an empty JSON body.");
        }
        catch (JsonException ex)
        {
            var preview = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 200));
            throw new DockerProtocolException($"Docker {operation} answered with JSON this client cannot read: {ex.Message} (body starts `{preview}`)", ex);
        }
    }

    private static TimeSpan AddTimeout(TimeSpan timeout, TimeSpan extra) =>
        timeout == Timeout.InfiniteTimeSpan ? timeout : timeout + extra;
}
