namespace NotebookGateway.Server.Quotas;

/// <summary>A quota refused the request; the message names the limit and the current use (shown as a 403).</summary>
public sealed class QuotaExceededException : Exception
{
    public QuotaExceededException()
    {
    }

    public QuotaExceededException(string message) : base(message)
    {
    }

    public QuotaExceededException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
