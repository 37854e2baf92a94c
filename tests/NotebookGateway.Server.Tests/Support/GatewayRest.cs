using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>A REST answer read completely: status, headers, body text, and the body as JSON when it is JSON.</summary>
public sealed record RestResponse(HttpStatusCode Status, string Body, string? ContentType, IReadOnlyDictionary<string, string[]> Headers, string Request)
{
    public JsonNode? Json
    {
        get
        {
            try
            {
                return JsonNode.Parse(Body);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    public string? Header(string name) =>
        Headers.TryGetValue(name, out string[]? values) ? string.Join(", ", values) : null;

    public override string ToString() => $"{Request} → {(int)Status} {Status} ({ContentType}) {Body}";
}

/// <summary>REST calls against a <see cref="GatewayProcess"/> and the assertions every REST test shares.</summary>
public static class GatewayRest
{
    public const string Python3 = "python3";

    public static async Task<RestResponse> SendAsync(
        HttpClient client, HttpMethod method, Uri url, string? body = null, string contentType = "application/json", TimeSpan? timeout = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        return await SendAsync(client, request, timeout);
    }

    public static async Task<RestResponse> SendAsync(HttpClient client, HttpRequestMessage request, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestTimeouts.Step);
        string description = $"{request.Method} {request.RequestUri?.PathAndQuery}";
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"{description}: no response within {(timeout ?? TestTimeouts.Step).TotalSeconds:0} s");
        }
        using (response)
        {
            string text = await response.Content.ReadAsStringAsync(cts.Token);
            var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in response.Headers)
            {
                headers[name] = values.ToArray();
            }
            foreach (var (name, values) in response.Content.Headers)
            {
                headers[name] = values.ToArray();
            }
            return new RestResponse(response.StatusCode, text, response.Content.Headers.ContentType?.MediaType, headers, description);
        }
    }

    public static Task<RestResponse> GetAsync(GatewayProcess gateway, string relative) =>
        SendAsync(gateway.Http, HttpMethod.Get, gateway.Url(relative));

    public static Task<RestResponse> PostAsync(GatewayProcess gateway, string relative, string? body, TimeSpan? timeout = null) =>
        SendAsync(gateway.Http, HttpMethod.Post, gateway.Url(relative), body, timeout: timeout);

    public static Task<RestResponse> DeleteAsync(GatewayProcess gateway, string relative) =>
        SendAsync(gateway.Http, HttpMethod.Delete, gateway.Url(relative));

    /// <summary>POST /api/kernels and the id of the new kernel; fails with the answer and the gateway's output otherwise.</summary>
    public static async Task<string> StartKernelAsync(GatewayProcess gateway, string kernelName = Python3)
    {
        RestResponse response = await PostAsync(gateway, "api/kernels", $$"""{"name":"{{kernelName}}"}""", TestTimeouts.KernelStart);
        ExpectStatus(response, HttpStatusCode.Created, gateway);
        string? id = response.Json?["id"]?.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(id), $"POST /api/kernels answered without an id: {response}");
        return id!;
    }

    /// <summary>Best-effort DELETE for cleanup; never throws.</summary>
    public static async Task TryDeleteKernelAsync(GatewayProcess gateway, string kernelId)
    {
        try
        {
            await SendAsync(gateway.Http, HttpMethod.Delete, gateway.Url($"api/kernels/{kernelId}"), timeout: TestTimeouts.Step);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or ObjectDisposedException)
        {
            // The gateway may be gone already; its stop removes what is left.
        }
    }

    public static void ExpectStatus(RestResponse response, HttpStatusCode expected, GatewayProcess? gateway = null)
    {
        if (response.Status != expected)
        {
            Assert.Fail($"Expected {(int)expected} {expected}, got {response}" +
                        (gateway is null ? "" : $"\n--- gateway output (last lines) ---\n{gateway.RecentOutput()}"));
        }
    }

    /// <summary>Kernel Gateway's error shape: <c>application/json</c> <c>{reason: string, message: string}</c>, and no traceback.</summary>
    public static JsonObject ExpectJsonError(RestResponse response, HttpStatusCode expected, string? reason = null)
    {
        ExpectStatus(response, expected);
        Assert.True(response.ContentType == "application/json", $"Error answers are application/json: {response}");
        JsonObject? error = response.Json as JsonObject;
        Assert.True(error is not null, $"Error body is not a JSON object: {response}");
        Assert.True(error!["reason"] is JsonValue r && r.GetValueKind() == JsonValueKind.String, $"Error has no string reason: {response}");
        Assert.True(error["message"] is JsonValue m && m.GetValueKind() == JsonValueKind.String, $"Error has no string message: {response}");
        Assert.False(error.ContainsKey("traceback"), $"Errors never carry a traceback: {response}");
        Assert.DoesNotContain("Traceback", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", response.Body, StringComparison.Ordinal);
        if (reason is not null)
        {
            Assert.Equal(reason, error["reason"]!.GetValue<string>());
        }
        return error;
    }

    /// <summary>Polls <paramref name="probe"/> until it returns true, at most <paramref name="timeout"/>; the last observation goes into the failure.</summary>
    public static async Task EventuallyAsync(Func<Task<(bool Done, string Observed)>> probe, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        string observed = "";
        var interval = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            bool done;
            (done, observed) = await probe();
            if (done)
            {
                return;
            }
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"{what}: not within {timeout.TotalSeconds:0} s; last seen: {observed}");
            }
            // Polling a condition with a growing interval, bounded by the deadline (not a sleep standing in for an event).
            await Task.Delay(interval);
            interval = TimeSpan.FromMilliseconds(Math.Min(interval.TotalMilliseconds * 2, 500));
        }
    }
}
