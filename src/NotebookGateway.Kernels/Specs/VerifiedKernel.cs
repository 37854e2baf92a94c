using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookGateway.Kernels.Specs;

/// <summary>
/// A kernel an image was shown to provide at build time: <c>scripts/build-images.sh</c> starts every kernelspec of the
/// image in a sandbox, exactly as the gateway does (<c>NotebookGateway.ImageCheck</c>), and records what its
/// <c>kernel_info_reply</c> said in the image label <see cref="LabelKey"/> (a JSON array of these). A spec is served
/// only when its image carries an entry with the same argv, language and transport.
/// </summary>
public sealed record VerifiedKernel
{
    /// <summary>The image label holding the JSON array of verified kernels.</summary>
    public const string LabelKey = "org.notebookgateway.verified-kernels";

    /// <summary>The kernelspec the check started (informational: matching is by argv, language and transport).</summary>
    public required string Spec { get; init; }

    public required IReadOnlyList<string> Argv { get; init; }

    /// <summary>The spec's <c>language</c>, which <c>language_info.name</c> of the reply matched.</summary>
    public required string Language { get; init; }

    public required KernelTransport Transport { get; init; }

    /// <summary><c>language_info</c> of the kernel_info_reply, as the kernel sent it (name, version, mimetype, …).</summary>
    public required JsonObject LanguageInfo { get; init; }

    public string Implementation { get; init; } = "";

    public string ImplementationVersion { get; init; } = "";

    public string ProtocolVersion { get; init; } = "";

    /// <summary><c>language_info.version</c>, or empty.</summary>
    public string LanguageVersion => LanguageInfo["version"] is JsonValue v && v.TryGetValue(out string? text) ? text : "";

    /// <summary>True when <paramref name="spec"/> runs the kernel this entry verified.</summary>
    public bool Matches(KernelSpec spec) =>
        spec.Argv.SequenceEqual(Argv, StringComparer.Ordinal)
        && string.Equals(spec.Language, Language, StringComparison.OrdinalIgnoreCase)
        && spec.Sandbox.Transport == Transport;

    /// <summary>The entry of <paramref name="labels"/> that verifies <paramref name="spec"/>, or null.</summary>
    public static VerifiedKernel? Find(IReadOnlyDictionary<string, string>? labels, KernelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return labels is not null && labels.TryGetValue(LabelKey, out var json) ? ParseLabel(json).FirstOrDefault(v => v.Matches(spec)) : null;
    }

    /// <summary>The entries of a label value; malformed entries (or a malformed label) yield nothing.</summary>
    public static IReadOnlyList<VerifiedKernel> ParseLabel(string json)
    {
        JsonArray? array;
        try
        {
            array = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) as JsonArray;
        }
        catch (JsonException)
        {
            return [];
        }

        var entries = new List<VerifiedKernel>();
        foreach (var item in array ?? [])
        {
            if (item is JsonObject entry && TryRead(entry) is { } verified)
            {
                entries.Add(verified);
            }
        }

        return entries;
    }

    /// <summary>The label value for these entries.</summary>
    public static string ToLabel(IEnumerable<VerifiedKernel> entries) =>
        new JsonArray(entries.Select(e => (JsonNode)e.ToJson()).ToArray()).ToJsonString();

    public JsonObject ToJson() => new()
    {
        ["spec"] = Spec,
        ["argv"] = new JsonArray(Argv.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
        ["language"] = Language,
        ["transport"] = KernelSpecParser.TransportName(Transport),
        ["implementation"] = Implementation,
        ["implementation_version"] = ImplementationVersion,
        ["protocol_version"] = ProtocolVersion,
        ["language_info"] = LanguageInfo.DeepClone(),
    };

    private static VerifiedKernel? TryRead(JsonObject entry)
    {
        static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        if (Text(entry, "spec") is not { } spec || Text(entry, "language") is not { } language
            || entry["argv"] is not JsonArray argvArray || entry["language_info"] is not JsonObject languageInfo
            || KernelSpecParser.ParseTransport(Text(entry, "transport")) is not { } transport)
        {
            return null;
        }

        var argv = new List<string>();
        foreach (var item in argvArray)
        {
            if (item is not JsonValue value || !value.TryGetValue(out string? arg))
            {
                return null;
            }

            argv.Add(arg);
        }

        return new VerifiedKernel
        {
            Spec = spec,
            Argv = argv,
            Language = language,
            Transport = transport,
            LanguageInfo = (JsonObject)languageInfo.DeepClone(),
            Implementation = Text(entry, "implementation") ?? "",
            ImplementationVersion = Text(entry, "implementation_version") ?? "",
            ProtocolVersion = Text(entry, "protocol_version") ?? "",
        };
    }
}
