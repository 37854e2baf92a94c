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
        Validate(configuration.GetSection(ConsoleLoggingOptions.Section).Get<ConsoleLoggingOptions>() ?? new ConsoleLoggingOptions());

    /// <summary>The problems of the <c>Logging</c> section's gateway setting (<c>Format</c>).</summary>
    public static IReadOnlyList<string> Validate(ConsoleLoggingOptions options) =>
        options.Format is null or "" || options.Format.ToLowerInvariant() is "simple" or "json"
            ? []
            : [$"{FormatKey} must be \"simple\" or \"json\" (it is \"{options.Format}\")."];

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

/// <summary>The gateway's own key in the <c>Logging</c> section (the framework reads the rest, e.g. <c>LogLevel</c>).</summary>
public sealed class ConsoleLoggingOptions
{
    public const string Section = "Logging";

    /// <summary><c>simple</c> (default) or <c>json</c>.</summary>
    public string? Format { get; set; }
}
