using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NotebookGateway.Server.Metrics;

/// <summary>
/// HTTP instruments (meter <see cref="MeterName"/>): request duration by method, route template and status code, and
/// open websocket connections. The handler tag is the endpoint's route template, never the request path.
/// </summary>
public sealed class HttpMetrics : IDisposable
{
    public const string MeterName = "NotebookGateway.Http";
    public const string Unmatched = "unmatched";

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _websockets;

    public HttpMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _duration = _meter.CreateHistogram<double>("http_request_duration_seconds", unit: "s",
            description: "HTTP request duration by method, route template (handler) and status code.");
        _websockets = _meter.CreateUpDownCounter<long>("websocket_connections", description: "Open websocket connections.");
    }

    /// <summary>Times every request; outermost, so it sees the final status code (also of errors and refusals).</summary>
    public async Task MeasureRequestAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            string handler = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? Unmatched;
            _duration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds,
                new KeyValuePair<string, object?>("method", MethodTag(context.Request.Method)),
                new KeyValuePair<string, object?>("handler", handler),
                new KeyValuePair<string, object?>("status_code", StatusTag(context.Response.StatusCode)));
        }
    }

    /// <summary>Counts websocket requests while they run (the upgrade and the whole connection).</summary>
    public async Task CountWebSocketAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await next(context);
            return;
        }
        _websockets.Add(1);
        try
        {
            await next(context);
        }
        finally
        {
            _websockets.Add(-1);
        }
    }

    // Known methods keep the tag set bounded whatever a client sends.
    private static string MethodTag(string method) =>
        HttpMethods.IsGet(method) ? "GET"
        : HttpMethods.IsPost(method) ? "POST"
        : HttpMethods.IsPut(method) ? "PUT"
        : HttpMethods.IsPatch(method) ? "PATCH"
        : HttpMethods.IsDelete(method) ? "DELETE"
        : HttpMethods.IsHead(method) ? "HEAD"
        : HttpMethods.IsOptions(method) ? "OPTIONS"
        : "other";

    private static readonly string[] s_statusTags = Enumerable.Range(0, 600).Select(code => code.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static string StatusTag(int status) => (uint)status < s_statusTags.Length ? s_statusTags[status] : "other";

    public void Dispose() => _meter.Dispose();
}
