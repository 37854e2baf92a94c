using System.Globalization;

namespace NotebookGateway.Docker.Transport;

/// <summary>An Engine API version such as <c>1.41</c>: compared numerically, so 1.9 &lt; 1.41.</summary>
internal readonly record struct ApiVersionNumber(int Major, int Minor) : IComparable<ApiVersionNumber>
{
    public static ApiVersionNumber Parse(string text) =>
        TryParse(text, out var version) ? version : throw new FormatException($"'{text}' is not an API version like 1.41.");

    public static bool TryParse(string? text, out ApiVersionNumber version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Trim().Split('.');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return false;
        }

        version = new ApiVersionNumber(major, minor);
        return true;
    }

    public int CompareTo(ApiVersionNumber other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public static bool operator <(ApiVersionNumber left, ApiVersionNumber right) => left.CompareTo(right) < 0;

    public static bool operator >(ApiVersionNumber left, ApiVersionNumber right) => left.CompareTo(right) > 0;

    public static bool operator <=(ApiVersionNumber left, ApiVersionNumber right) => left.CompareTo(right) <= 0;

    public static bool operator >=(ApiVersionNumber left, ApiVersionNumber right) => left.CompareTo(right) >= 0;

    public static ApiVersionNumber Min(ApiVersionNumber a, ApiVersionNumber b) => a <= b ? a : b;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}");
}
