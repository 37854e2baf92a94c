using System.Text;
using System.Text.Json;

namespace NotebookGateway.Docker.Models;

/// <summary>
/// The <c>filters</c> query parameter of list and event endpoints, sent as <c>{"name":["value",…]}</c>
/// (the array form: Docker accepts it since API 1.22 and Podman only understands this one).
/// </summary>
public sealed class DockerFilters
{
    private readonly SortedDictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public bool IsEmpty => _values.Count == 0;

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Values =>
        _values.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.AsReadOnly(), StringComparer.Ordinal);

    /// <summary>Adds <paramref name="value"/> to filter <paramref name="name"/>; values of one filter are ORed, filters are ANDed.</summary>
    public DockerFilters Add(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!_values.TryGetValue(name, out var list))
        {
            list = [];
            _values[name] = list;
        }

        if (!list.Contains(value, StringComparer.Ordinal))
        {
            list.Add(value);
        }

        return this;
    }

    /// <summary><c>label=key</c> (present) or <c>label=key=value</c>.</summary>
    public DockerFilters Label(string key, string? value = null) =>
        Add("label", value is null ? key : $"{key}={value}");

    public static DockerFilters ByLabel(string key, string? value = null) => new DockerFilters().Label(key, value);

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, values) in _values)
            {
                writer.WriteStartArray(name);
                foreach (var value in values)
                {
                    writer.WriteStringValue(value);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public override string ToString() => ToJson();
}
