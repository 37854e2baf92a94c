using System.Globalization;
using System.Text.Json.Nodes;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>Client messages in the websocket JSON form: <c>{header, parent_header, metadata, content, channel}</c>.</summary>
public static class JupyterMessages
{
    public const string ProtocolVersion = "5.3";

    public static JsonObject Create(string msgType, JsonObject? content, string session, string? channel = "shell", JsonObject? parentHeader = null)
    {
        var message = new JsonObject
        {
            ["header"] = new JsonObject
            {
                ["msg_id"] = Guid.NewGuid().ToString("N"),
                ["session"] = session,
                ["username"] = "server-tests",
                ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                ["msg_type"] = msgType,
                ["version"] = ProtocolVersion,
            },
            ["parent_header"] = parentHeader ?? new JsonObject(),
            ["metadata"] = new JsonObject(),
            ["content"] = content ?? new JsonObject(),
        };
        if (channel is not null)
        {
            message["channel"] = channel;
        }
        return message;
    }

    public static JsonObject KernelInfoRequest(string session, string? channel = "shell") =>
        Create("kernel_info_request", new JsonObject(), session, channel);

    public static JsonObject ExecuteRequest(string session, string code, bool allowStdin = false) =>
        Create("execute_request", new JsonObject
        {
            ["code"] = code,
            ["silent"] = false,
            ["store_history"] = true,
            ["user_expressions"] = new JsonObject(),
            ["allow_stdin"] = allowStdin,
            ["stop_on_error"] = false,
        }, session);

    public static JsonObject InputReply(string session, JsonObject inputRequestHeader, string value) =>
        Create("input_reply", new JsonObject { ["status"] = "ok", ["value"] = value }, session, "stdin", (JsonObject)inputRequestHeader.DeepClone());

    public static string MsgId(JsonObject message) => message["header"]!["msg_id"]!.GetValue<string>();
}
