using System.Net;

namespace NotebookGateway.Bridge.Gateway;

/// <summary>What kind of trouble the gateway gave: each kind tells the user something different to do.</summary>
public enum GatewayFailure
{
    /// <summary>No connection (refused, DNS, TLS, timeout): is the gateway running, is the URL right?</summary>
    Unreachable,

    /// <summary>401: the token is wrong or missing.</summary>
    BadToken,

    /// <summary>403: a quota, or a kernelspec the user may not use.</summary>
    Refused,

    /// <summary>429: a rate limit; try again later.</summary>
    RateLimited,

    /// <summary>404: the kernelspec (or the kernel) does not exist.</summary>
    NotFound,

    /// <summary>Any other answer (5xx, a timeout on the gateway's side, a body we cannot read).</summary>
    Failed,
}

/// <summary>
/// A REST call the gateway refused or could not be reached for. <see cref="Exception.Message"/> is written for the
/// user: what failed, the gateway's own message, and what to do.
/// </summary>
public sealed class GatewayException : Exception
{
    public GatewayException(GatewayFailure failure, HttpStatusCode? status, string message, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        Status = status;
    }

    public GatewayException()
    {
    }

    public GatewayException(string message) : base(message)
    {
    }

    public GatewayException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public GatewayFailure Failure { get; }

    public HttpStatusCode? Status { get; }

    public static GatewayFailure Classify(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => GatewayFailure.BadToken,
        HttpStatusCode.Forbidden => GatewayFailure.Refused,
        HttpStatusCode.TooManyRequests => GatewayFailure.RateLimited,
        HttpStatusCode.NotFound => GatewayFailure.NotFound,
        _ => GatewayFailure.Failed,
    };
}
