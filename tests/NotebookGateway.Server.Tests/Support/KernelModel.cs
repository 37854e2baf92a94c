using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>Checks of the Kernel model <c>{id, name, last_activity, execution_state, connections}</c> (reference §1.3).</summary>
public static partial class KernelModel
{
    public static readonly string[] ExecutionStates = ["starting", "idle", "busy", "restarting", "dead", "autorestarting", "terminating", "unknown"];

    public static JsonObject Check(JsonNode? node, string? expectedId = null, string expectedName = GatewayRest.Python3)
    {
        JsonObject? model = node as JsonObject;
        Assert.True(model is not null, $"Kernel model is not an object: {node?.ToJsonString()}");
        string text = model!.ToJsonString();
        string? id = KernelSocketText(model["id"]);
        Assert.True(id is not null && Uuid().IsMatch(id), $"Kernel id is not a uuid: {text}");
        if (expectedId is not null)
        {
            Assert.Equal(expectedId, id);
        }
        Assert.Equal(expectedName, KernelSocketText(model["name"]));
        string? lastActivity = KernelSocketText(model["last_activity"]);
        Assert.True(lastActivity is not null && IsoUtc().IsMatch(lastActivity), $"last_activity is not ISO 8601 ending in Z: {text}");
        string? state = KernelSocketText(model["execution_state"]);
        Assert.True(state is not null && ExecutionStates.Contains(state), $"execution_state is not a kernel state: {text}");
        Assert.True(model["connections"] is JsonValue c && c.GetValueKind() == JsonValueKind.Number, $"connections is not a number: {text}");
        foreach (string secret in new[] { "key", "connection_file", "connection_info", "signature_scheme" })
        {
            Assert.False(model.ContainsKey(secret), $"The model exposes {secret}: {text}");
        }
        return model;
    }

    public static int Connections(JsonNode? model) => model?["connections"]?.GetValue<int>() ?? -1;

    private static string? KernelSocketText(JsonNode? node) => ReceivedFrame.Text(node);

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    public static partial Regex Uuid();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")]
    private static partial Regex IsoUtc();
}
