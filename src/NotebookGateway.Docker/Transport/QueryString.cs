using System.Globalization;
using System.Text;

namespace NotebookGateway.Docker.Transport;

/// <summary>Builds <c>?a=1&amp;b=x</c>; repeated keys are allowed (the engine reads <c>changes=</c> as a list).</summary>
internal sealed class QueryString
{
    private readonly List<KeyValuePair<string, string>> _pairs = [];

    public QueryString Add(string key, string? value)
    {
        if (value is not null)
        {
            _pairs.Add(new(key, value));
        }

        return this;
    }

    public QueryString Add(string key, bool value) => Add(key, value ? "true" : "false");

    public QueryString Add(string key, long? value) =>
        value is null ? this : Add(key, value.Value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Adds <c>filters</c> only when there is something to filter on.</summary>
    public QueryString AddFilters(Models.DockerFilters? filters) =>
        filters is null || filters.IsEmpty ? this : Add("filters", filters.ToJson());

    public override string ToString()
    {
        if (_pairs.Count == 0)
        {
            return "";
        }

        var builder = new StringBuilder("?");
        foreach (var (key, value) in _pairs)
        {
            if (builder.Length > 1)
            {
                builder.Append('&');
            }

            builder.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }

    /// <summary>Unix seconds with nanoseconds, the form <c>since</c>/<c>until</c> accept on Docker and Podman.</summary>
    public static string FormatTimestamp(DateTimeOffset time)
    {
        var ticks = (time - DateTimeOffset.UnixEpoch).Ticks;
        if (ticks < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "Timestamps before 1970 are not accepted by the engine.");
        }

        var seconds = ticks / TimeSpan.TicksPerSecond;
        var nanos = ticks % TimeSpan.TicksPerSecond * 100;
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.{nanos:D9}");
    }
}
