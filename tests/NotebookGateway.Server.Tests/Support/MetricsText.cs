using System.Globalization;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>Reads series out of a Prometheus text exposition (GET /metrics).</summary>
public static class MetricsText
{
    /// <summary>The largest value among the series of <paramref name="name"/> whose labels contain every one of <paramref name="labels"/> (0 when none).</summary>
    public static double Value(string exposition, string name, params string[] labels)
    {
        double best = 0;
        foreach (string line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !(line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal)))
            {
                continue;
            }
            int space = line.LastIndexOf(' ');
            string series = line[..space];
            if (labels.All(l => series.Contains(l, StringComparison.Ordinal)))
            {
                best = Math.Max(best, double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
            }
        }
        return best;
    }
}
