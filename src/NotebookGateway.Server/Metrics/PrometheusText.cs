using System.Globalization;
using System.Text;

namespace NotebookGateway.Server.Metrics;

/// <summary>
/// The Prometheus text exposition format 0.0.4: metric and label names, escaping, values, sample lines and the series
/// key of a tag set. What <see cref="PrometheusExporter"/> writes, without its aggregation.
/// </summary>
public static class PrometheusText
{
    public static void WriteSample(TextWriter writer, string name, string labels, double value)
    {
        writer.Write(name);
        if (labels.Length > 0)
        {
            writer.Write('{');
            writer.Write(labels);
            writer.Write('}');
        }
        writer.Write(' ');
        writer.Write(FormatValue(value));
        writer.Write('\n');
    }

    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>A metric or label name: characters outside [a-zA-Z0-9_:] become '_', and a leading digit gets a '_' before it.</summary>
    public static string SanitizeName(string name, bool allowColon = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "_";
        }
        var result = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            result.Append('_');
        }
        foreach (char c in name)
        {
            result.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }
        return result.ToString();
    }

    /// <summary>The exported family name of an instrument (without the histogram's _bucket/_sum/_count).</summary>
    public static string ExportedNameOf(string instrumentName, string? unit, bool isCounter)
    {
        string name = SanitizeName(instrumentName);
        string? suffix = unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            _ => null,
        };
        if (suffix is not null && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }
        if (isCounter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }
        return name;
    }

    public static string EscapeLabelValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAny("\\\"\n") < 0)
        {
            return value;
        }
        return value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    public static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    [ThreadStatic]
    private static StringBuilder? t_labels;

    [ThreadStatic]
    private static KeyValuePair<string, object?>[]? t_sorted;

    /// <summary>The label text of a tag set, sorted by name: the series key (one string per measurement with tags).</summary>
    internal static string LabelsOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }
        KeyValuePair<string, object?>[] sorted = t_sorted is { } cached && cached.Length >= tags.Length ? cached : (t_sorted = new KeyValuePair<string, object?>[Math.Max(8, tags.Length)]);
        tags.CopyTo(sorted);
        // Insertion sort: tag sets are small, and this allocates nothing.
        for (int i = 1; i < tags.Length; i++)
        {
            KeyValuePair<string, object?> item = sorted[i];
            int j = i - 1;
            while (j >= 0 && string.CompareOrdinal(sorted[j].Key, item.Key) > 0)
            {
                sorted[j + 1] = sorted[j];
                j--;
            }
            sorted[j + 1] = item;
        }
        StringBuilder text = t_labels ??= new StringBuilder(128);
        text.Clear();
        for (int i = 0; i < tags.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }
            text.Append(SanitizeName(sorted[i].Key, allowColon: false)).Append("=\"");
            text.Append(EscapeLabelValue(sorted[i].Value switch
            {
                null => "",
                string s => s,
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                object o => o.ToString() ?? "",
            }));
            text.Append('"');
            sorted[i] = default;
        }
        return text.ToString();
    }
}
