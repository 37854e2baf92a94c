using System.Text;
using System.Text.Json;

namespace NotebookGateway.Server.Admission;

/// <summary>
/// Everything in an execute_request's content that the kernel will run: every <c>code</c> member and every string of
/// <c>user_expressions</c>. Every occurrence counts, since Python's json keeps the last of duplicate keys where a
/// first-match reader would see another one. Content this reader cannot read (invalid JSON, a lone surrogate, NaN,
/// all of which Python may accept) is reported as unreadable, so the caller can fail closed.
/// </summary>
public sealed class ExecuteCode
{
    private ExecuteCode(string text, long utf8Bytes)
    {
        Text = text;
        Utf8Bytes = utf8Bytes;
    }

    /// <summary>The code and the user expressions, one per line.</summary>
    public string Text { get; }

    /// <summary>UTF-8 bytes of the code and the user expressions (separators not counted).</summary>
    public long Utf8Bytes { get; }

    /// <summary>The code of an execute_request's content; null when the content cannot be read.</summary>
    public static ExecuteCode? Read(ReadOnlySpan<byte> contentJson)
    {
        var parts = new List<string>();
        try
        {
            var reader = new Utf8JsonReader(contentJson);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool code = reader.ValueTextEquals("code"u8);
                bool expressions = !code && reader.ValueTextEquals("user_expressions"u8);
                reader.Read();
                if (code && reader.TokenType == JsonTokenType.String)
                {
                    parts.Add(reader.GetString()!);
                }
                else if (expressions && reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadExpressions(ref reader, parts);
                }
                else
                {
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return null; // trailing content after the object
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null;
        }
        long bytes = parts.Sum(p => (long)Encoding.UTF8.GetByteCount(p));
        return new ExecuteCode(string.Join('\n', parts), bytes);
    }

    /// <summary>The string values of the user_expressions object (the reader is on its start).</summary>
    private static void ReadExpressions(ref Utf8JsonReader reader, List<string> parts)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                parts.Add(reader.GetString()!);
            }
            else
            {
                reader.Skip();
            }
        }
    }
}
