using System.Globalization;
using System.Text.Json;

namespace NotebookGateway.Jupyter.Envelope;

/// <summary>
/// A Jupyter message header. Received headers keep their exact bytes in <see cref="JupyterMessage.HeaderJson"/>;
/// this parsed form is what the gateway routes on.
/// </summary>
public sealed record MessageHeader
{
    /// <summary>The protocol version stamped on messages the gateway creates itself.</summary>
    public const string CurrentVersion = "5.3";

    public required string MsgId { get; init; }

    public required string MsgType { get; init; }

    public string Session { get; init; } = "";

    public string Username { get; init; } = "";

    /// <summary>ISO 8601, passed through as received.</summary>
    public string? Date { get; init; }

    public string Version { get; init; } = CurrentVersion;

    /// <summary>Protocol 5.5 subshells; absent otherwise.</summary>
    public string? SubshellId { get; init; }

    /// <summary>A new header with a fresh msg_id, dated now by <paramref name="timeProvider"/> (the system clock by default).</summary>
    public static MessageHeader Create(string msgType, string session, string username, TimeProvider? timeProvider = null) => new()
    {
        MsgId = Guid.NewGuid().ToString("N"),
        MsgType = msgType,
        Session = session,
        Username = username,
        Date = (timeProvider ?? TimeProvider.System).GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
    };

    /// <summary>Accepts the 5.x protocol family (5.0–5.5 today); other majors are refused.</summary>
    public static bool IsSupportedVersion(string? version) =>
        version is not null
        && version.StartsWith("5.", StringComparison.Ordinal)
        && version.Length > 2
        && version.AsSpan(2).IndexOfAnyExceptInRange('0', '9') < 0;

    public byte[] ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("msg_id", MsgId);
            writer.WriteString("msg_type", MsgType);
            writer.WriteString("username", Username);
            writer.WriteString("session", Session);
            if (Date is not null)
            {
                writer.WriteString("date", Date);
            }
            writer.WriteString("version", Version);
            if (SubshellId is not null)
            {
                writer.WriteString("subshell_id", SubshellId);
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses a header without throwing; unknown members are ignored.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out MessageHeader? header)
    {
        header = null;
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            return false;
        }
        string? msgId = null, msgType = null, session = null, username = null, date = null, version = null, subshell = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                string? value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
                switch (name)
                {
                    case "msg_id": msgId = value; break;
                    case "msg_type": msgType = value; break;
                    case "session": session = value; break;
                    case "username": username = value; break;
                    case "date": date = value; break;
                    case "version": version = value; break;
                    case "subshell_id": subshell = value; break;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return false; // truncated, or trailing data after the object
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string with an escaped lone surrogate cannot become a .NET string.
            return false;
        }
        if (string.IsNullOrEmpty(msgId) || string.IsNullOrEmpty(msgType))
        {
            return false;
        }
        header = new MessageHeader
        {
            MsgId = msgId,
            MsgType = msgType,
            Session = session ?? "",
            Username = username ?? "",
            Date = date,
            Version = version ?? "",
            SubshellId = subshell,
        };
        return true;
    }
}
