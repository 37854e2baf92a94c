namespace NotebookGateway.Server.Logging;

/// <summary>
/// <c>Logging:Format</c>: <c>simple</c> (one readable line per entry) or <c>json</c> (one JSON object per line, for log
/// shippers; the framework's JSON console formatter with UTC ISO-8601 timestamps).
/// </summary>
public static class ConsoleLogging
{
    public const string FormatKey = "Logging:Format";

    public static bool IsJson(IConfiguration configuration) =>
        string.Equals(configuration[FormatKey], "json", StringComparison.OrdinalIgnoreCase);

    public static IReadOnlyList<string> Validate(IConfiguration configuration) =>
        configuration[FormatKey] is null or "" || configuration[FormatKey]!.ToLowerInvariant() is "simple" or "json"
            ? []
            : [$"{FormatKey} must be \"simple\" or \"json\" (it is \"{configuration[FormatKey]}\")."];

    /// <summary>Replaces the console formatter when the format is json.</summary>
    public static void Apply(ILoggingBuilder logging, IConfiguration configuration)
    {
        if (!IsJson(configuration))
        {
            return;
        }
        logging.ClearProviders();
        logging.AddJsonConsole(options =>
        {
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            options.IncludeScopes = false;
        });
    }
}
