using System.Globalization;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.RateLimiting;

namespace NotebookGateway.Server.Api;

/// <summary>Refusals of the layers below, as HTTP answers: always the <c>{reason, message}</c> body.</summary>
public static class HttpResults
{
    /// <summary>429 with Retry-After and the usual <c>{reason, message}</c> body.</summary>
    public static IResult ToResult(this RateLimitRefusal refusal) => new TooManyRequests(refusal);

    /// <summary>The REST answer to a failed start; a rate-limit refusal is a 429 with Retry-After.</summary>
    public static IResult ToResult(this StartFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.RateLimit?.ToResult() ?? JsonErrors.Create(failure.StatusCode, failure.Reason, failure.Message);
    }

    private sealed class TooManyRequests(RateLimitRefusal refusal) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = refusal.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return JsonErrors.Create(StatusCodes.Status429TooManyRequests, "Too Many Requests", refusal.Message).ExecuteAsync(httpContext);
        }
    }
}
