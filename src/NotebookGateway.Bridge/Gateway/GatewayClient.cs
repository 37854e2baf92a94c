using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace NotebookGateway.Bridge.Gateway;

/// <summary>
/// The gateway's REST API as the bridge uses it: kernelspecs and their logos, and one kernel's start, state, interrupt,
/// restart and deletion. Every call is bounded in time and in the size of what it reads; every failure becomes a
/// <see cref="GatewayException"/> whose message a user can act on.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _http;

    public GatewayClient(Uri baseUrl, string? token, TimeSpan requestTimeout, long maxResponseBytes = 8 << 20)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (baseUrl.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"The gateway URL must be http:// or https:// (got {baseUrl}).", nameof(baseUrl));
        }
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        Token = string.IsNullOrEmpty(token) ? null : token;
        RequestTimeout = requestTimeout;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(10, requestTimeout.TotalSeconds)),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AllowAutoRedirect = false, // a redirect would carry the token to wherever it points
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // per call, below
            MaxResponseContentBufferSize = maxResponseBytes,
        };
        if (Token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", Token);
        }
    }

    /// <summary>The gateway's base URL, ending with <c>/</c>.</summary>
    public Uri BaseUrl { get; }

    public string? Token { get; }

    public TimeSpan RequestTimeout { get; }

    /// <summary>The channels websocket of a kernel, with the client session id the gateway buffers for.</summary>
    public Uri ChannelsUrl(string kernelId, string sessionId)
    {
        var builder = new UriBuilder(new Uri(BaseUrl, $"api/kernels/{Uri.EscapeDataString(kernelId)}/channels"))
        {
            Scheme = BaseUrl.Scheme == "https" ? "wss" : "ws",
            Query = "session_id=" + Uri.EscapeDataString(sessionId),
        };
        return builder.Uri;
    }

    public async Task<RemoteKernelSpecs> GetKernelSpecsAsync(CancellationToken cancellationToken)
    {
        byte[] body = await SendAsync(HttpMethod.Get, "api/kernelspecs", null, "Listing the gateway's kernelspecs", RequestTimeout, cancellationToken).ConfigureAwait(false);
        return Parse(body, GatewayJsonContext.Default.RemoteKernelSpecs, "the kernelspec list");
    }

    /// <summary>A file the gateway lists as a kernelspec resource (a logo); only from the gateway's own origin.</summary>
    public async Task<byte[]> GetResourceAsync(string path, CancellationToken cancellationToken)
    {
        var url = new Uri(BaseUrl, path);
        if (!string.Equals(url.GetLeftPart(UriPartial.Authority), BaseUrl.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            throw new GatewayException(GatewayFailure.Failed, null, $"The gateway listed a resource on another server ({url.GetLeftPart(UriPartial.Authority)}); it was not fetched.");
        }
        return await SendAsync(HttpMethod.Get, url.AbsoluteUri, null, $"Fetching {url.AbsolutePath}", RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a kernel of <paramref name="spec"/>; <paramref name="timeout"/> covers the sandbox start.</summary>
    public async Task<RemoteKernel> StartKernelAsync(string spec, IReadOnlyDictionary<string, string> env, TimeSpan timeout, CancellationToken cancellationToken)
    {
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new StartKernelBody(spec, env), GatewayJsonContext.Default.StartKernelBody);
        byte[] body = await SendAsync(HttpMethod.Post, "api/kernels", request, $"Starting a '{spec}' kernel", timeout, cancellationToken).ConfigureAwait(false);
        return Parse(body, GatewayJsonContext.Default.RemoteKernel, "the new kernel");
    }

    /// <summary>The kernel, or null when the gateway does not know it (404).</summary>
    public async Task<RemoteKernel?> GetKernelAsync(string kernelId, CancellationToken cancellationToken)
    {
        try
        {
            byte[] body = await SendAsync(HttpMethod.Get, KernelPath(kernelId), null, "Looking up the kernel", RequestTimeout, cancellationToken).ConfigureAwait(false);
            return Parse(body, GatewayJsonContext.Default.RemoteKernel, "the kernel");
        }
        catch (GatewayException ex) when (ex.Failure == GatewayFailure.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes the kernel; one that is already gone counts as deleted.</summary>
    public async Task DeleteKernelAsync(string kernelId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(HttpMethod.Delete, KernelPath(kernelId), null, "Shutting the kernel down", timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (ex.Failure == GatewayFailure.NotFound)
        {
        }
    }

    public Task InterruptKernelAsync(string kernelId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, KernelPath(kernelId) + "/interrupt", [], "Interrupting the kernel", RequestTimeout, cancellationToken);

    /// <summary>Restarts the kernel (a new sandbox, same workspace); returns once it answers again.</summary>
    public Task RestartKernelAsync(string kernelId, TimeSpan timeout, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, KernelPath(kernelId) + "/restart", [], "Restarting the kernel", timeout, cancellationToken);

    public void Dispose() => _http.Dispose();

    private static string KernelPath(string kernelId) => "api/kernels/" + Uri.EscapeDataString(kernelId);

    private async Task<byte[]> SendAsync(HttpMethod method, string relative, byte[]? body, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUrl, relative));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        HttpResponseMessage response;
        byte[] bytes;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
            bytes = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GatewayException(GatewayFailure.Unreachable, null,
                $"{what}: the gateway at {BaseUrl} did not answer within {timeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException ex)
        {
            throw new GatewayException(GatewayFailure.Unreachable, null,
                $"{what}: cannot reach the gateway at {BaseUrl} ({ex.Message}). Is it running, and is the URL right?", ex);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return bytes;
            }
            throw Failure(what, response, bytes);
        }
    }

    private GatewayException Failure(string what, HttpResponseMessage response, byte[] body)
    {
        HttpStatusCode status = response.StatusCode;
        GatewayFailure kind = GatewayException.Classify(status);
        string? message = null;
        try
        {
            message = JsonSerializer.Deserialize(body, GatewayJsonContext.Default.RemoteError)?.Message;
        }
        catch (JsonException)
        {
            // Not Kernel Gateway's error shape (a proxy's page): the status says enough.
        }
        string detail = string.IsNullOrWhiteSpace(message) ? "." : ": " + Truncate(message.Trim(), 1000);
        string hint = kind switch
        {
            GatewayFailure.BadToken => " Check the token (the kernelspec's token file, or NBGW_TOKEN), then restart the kernel.",
            GatewayFailure.RateLimited when response.Headers.RetryAfter?.Delta is { } wait => $" Try again in {Math.Ceiling(wait.TotalSeconds)} s.",
            GatewayFailure.RateLimited => " Try again later.",
            _ => "",
        };
        return new GatewayException(kind, status, $"{what}: the gateway at {BaseUrl} answered {(int)status} {response.ReasonPhrase}{detail}{hint}");
    }

    private static T Parse<T>(byte[] body, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new GatewayException(GatewayFailure.Failed, null, $"The gateway's answer for {what} is not what the Kernel Gateway API describes: {Truncate(ex.Message, 200)}");
        }
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}
