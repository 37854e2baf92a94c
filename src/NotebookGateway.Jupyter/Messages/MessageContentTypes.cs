using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace NotebookGateway.Jupyter.Messages;

/// <summary>
/// The explicit, reflection-free map from a wire <c>msg_type</c> to the serialization metadata of its content
/// record, plus helpers to (de)serialize content with <see cref="JupyterMessageJsonContext.Wire"/>.
/// </summary>
/// <remarks>Each msg_type maps to exactly one record and each record to exactly one msg_type.</remarks>
public static class MessageContentTypes
{
    private const string RequestSuffix = "_request";
    private const string ReplySuffix = "_reply";

    private static readonly FrozenDictionary<string, JsonTypeInfo> ByMessageType = BuildMap();

    private static readonly FrozenDictionary<Type, string> ByContentType = BuildReverseMap(ByMessageType);

    private static readonly IReadOnlyCollection<string> AllMessageTypes = ByMessageType.Keys;

    /// <summary>Every msg_type that has a content record.</summary>
    public static IReadOnlyCollection<string> All => AllMessageTypes;

    /// <summary>Looks up the content metadata for <paramref name="msgType"/> (ordinal, case-sensitive).</summary>
    /// <returns>False for a msg_type outside protocol 5.0–5.5 (for example a custom one); relay those as raw JSON.</returns>
    public static bool TryGetTypeInfo(string msgType, [MaybeNullWhen(false)] out JsonTypeInfo info)
    {
        ArgumentNullException.ThrowIfNull(msgType);
        return ByMessageType.TryGetValue(msgType, out info);
    }

    /// <summary>The msg_type whose content record is <paramref name="contentType"/>, or null if it is not a content record.</summary>
    public static string? MessageTypeOf(Type contentType)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        return ByContentType.GetValueOrDefault(contentType);
    }

    /// <summary>Serializes a content record (or any type registered in <see cref="JupyterMessageJsonContext"/>) to UTF-8 JSON.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not registered in the context.</exception>
    public static byte[] Serialize<T>(T content) =>
        JsonSerializer.SerializeToUtf8Bytes(content, GetTypeInfo<T>());

    /// <summary>Deserializes UTF-8 JSON into a content record; unknown members are ignored.</summary>
    /// <exception cref="JsonException">The JSON is invalid or does not fit <typeparamref name="T"/>.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not registered in the context.</exception>
    public static T? Deserialize<T>(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize(utf8, GetTypeInfo<T>());

    /// <summary>
    /// The reply type of a request type: <c>execute_request</c> gives <c>execute_reply</c>. Works for any
    /// <c>*_request</c>, including ones this library does not model; returns null for anything else.
    /// </summary>
    public static string? ReplyTypeFor(string requestType)
    {
        ArgumentNullException.ThrowIfNull(requestType);
        if (requestType.Length <= RequestSuffix.Length || !requestType.EndsWith(RequestSuffix, StringComparison.Ordinal))
        {
            return null;
        }

        return string.Concat(requestType.AsSpan(0, requestType.Length - RequestSuffix.Length), ReplySuffix);
    }

    /// <summary>
    /// The channel a message of this type normally travels on, or null for an unknown msg_type.
    /// </summary>
    /// <remarks>
    /// Messages that may use more than one channel get the one a client uses to send them:
    /// <c>kernel_info_*</c> → shell (also allowed on control since 5.5); <c>shutdown_*</c> → control (shell is
    /// deprecated since 5.4, and ipykernel also publishes <c>shutdown_reply</c> on iopub); <c>comm_*</c> → shell
    /// (comms sent by the kernel arrive on iopub).
    /// </remarks>
    public static MessageChannel? DefaultChannelOf(string msgType)
    {
        ArgumentNullException.ThrowIfNull(msgType);
        return msgType switch
        {
            MessageTypes.ExecuteRequest or MessageTypes.ExecuteReply
                or MessageTypes.InspectRequest or MessageTypes.InspectReply
                or MessageTypes.CompleteRequest or MessageTypes.CompleteReply
                or MessageTypes.HistoryRequest or MessageTypes.HistoryReply
                or MessageTypes.IsCompleteRequest or MessageTypes.IsCompleteReply
                or MessageTypes.ConnectRequest or MessageTypes.ConnectReply
                or MessageTypes.CommInfoRequest or MessageTypes.CommInfoReply
                or MessageTypes.KernelInfoRequest or MessageTypes.KernelInfoReply
                or MessageTypes.CommOpen or MessageTypes.CommMsg or MessageTypes.CommClose
                => MessageChannel.Shell,

            MessageTypes.ShutdownRequest or MessageTypes.ShutdownReply
                or MessageTypes.InterruptRequest or MessageTypes.InterruptReply
                or MessageTypes.DebugRequest or MessageTypes.DebugReply
                or MessageTypes.CreateSubshellRequest or MessageTypes.CreateSubshellReply
                or MessageTypes.DeleteSubshellRequest or MessageTypes.DeleteSubshellReply
                or MessageTypes.ListSubshellRequest or MessageTypes.ListSubshellReply
                => MessageChannel.Control,

            MessageTypes.Stream or MessageTypes.DisplayData or MessageTypes.UpdateDisplayData
                or MessageTypes.ExecuteInput or MessageTypes.ExecuteResult or MessageTypes.Error
                or MessageTypes.Status or MessageTypes.ClearOutput or MessageTypes.DebugEvent
                or MessageTypes.IOPubWelcome
                => MessageChannel.IOPub,

            MessageTypes.InputRequest or MessageTypes.InputReply => MessageChannel.Stdin,

            _ => null,
        };
    }

    private static FrozenDictionary<string, JsonTypeInfo> BuildMap()
    {
        var context = JupyterMessageJsonContext.Wire;

        // Dictionary.Add throws on a duplicate msg_type, so a double registration fails at type initialisation.
        var map = new Dictionary<string, JsonTypeInfo>(StringComparer.Ordinal)
        {
            // Shell
            { MessageTypes.ExecuteRequest, context.ExecuteRequest },
            { MessageTypes.ExecuteReply, context.ExecuteReply },
            { MessageTypes.InspectRequest, context.InspectRequest },
            { MessageTypes.InspectReply, context.InspectReply },
            { MessageTypes.CompleteRequest, context.CompleteRequest },
            { MessageTypes.CompleteReply, context.CompleteReply },
            { MessageTypes.HistoryRequest, context.HistoryRequest },
            { MessageTypes.HistoryReply, context.HistoryReply },
            { MessageTypes.IsCompleteRequest, context.IsCompleteRequest },
            { MessageTypes.IsCompleteReply, context.IsCompleteReply },
            { MessageTypes.ConnectRequest, context.ConnectRequest },
            { MessageTypes.ConnectReply, context.ConnectReply },
            { MessageTypes.CommInfoRequest, context.CommInfoRequest },
            { MessageTypes.CommInfoReply, context.CommInfoReply },
            { MessageTypes.KernelInfoRequest, context.KernelInfoRequest },
            { MessageTypes.KernelInfoReply, context.KernelInfoReply },

            // Control
            { MessageTypes.ShutdownRequest, context.ShutdownRequest },
            { MessageTypes.ShutdownReply, context.ShutdownReply },
            { MessageTypes.InterruptRequest, context.InterruptRequest },
            { MessageTypes.InterruptReply, context.InterruptReply },
            { MessageTypes.DebugRequest, context.DebugRequest },
            { MessageTypes.DebugReply, context.DebugReply },
            { MessageTypes.CreateSubshellRequest, context.CreateSubshellRequest },
            { MessageTypes.CreateSubshellReply, context.CreateSubshellReply },
            { MessageTypes.DeleteSubshellRequest, context.DeleteSubshellRequest },
            { MessageTypes.DeleteSubshellReply, context.DeleteSubshellReply },
            { MessageTypes.ListSubshellRequest, context.ListSubshellRequest },
            { MessageTypes.ListSubshellReply, context.ListSubshellReply },

            // IOPub
            { MessageTypes.Stream, context.StreamOutput },
            { MessageTypes.DisplayData, context.DisplayData },
            { MessageTypes.UpdateDisplayData, context.UpdateDisplayData },
            { MessageTypes.ExecuteInput, context.ExecuteInput },
            { MessageTypes.ExecuteResult, context.ExecuteResult },
            { MessageTypes.Error, context.ErrorContent },
            { MessageTypes.Status, context.StatusContent },
            { MessageTypes.ClearOutput, context.ClearOutput },
            { MessageTypes.DebugEvent, context.DebugEvent },
            { MessageTypes.IOPubWelcome, context.IOPubWelcome },

            // Comm
            { MessageTypes.CommOpen, context.CommOpen },
            { MessageTypes.CommMsg, context.CommMsg },
            { MessageTypes.CommClose, context.CommClose },

            // Stdin
            { MessageTypes.InputRequest, context.InputRequest },
            { MessageTypes.InputReply, context.InputReply },
        };

        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static FrozenDictionary<Type, string> BuildReverseMap(FrozenDictionary<string, JsonTypeInfo> byMessageType)
    {
        // Dictionary.Add throws if one record were registered for two msg_types.
        var map = new Dictionary<Type, string>(byMessageType.Count);
        foreach (var (msgType, info) in byMessageType)
        {
            map.Add(info.Type, msgType);
        }

        return map.ToFrozenDictionary();
    }

    private static JsonTypeInfo<T> GetTypeInfo<T>() =>
        TypeInfoCache<T>.Value
        ?? throw new NotSupportedException($"{typeof(T)} is not registered in {nameof(JupyterMessageJsonContext)}.");

    /// <summary>Per-type cache of the context lookup (the context's own lookup is a generated type switch).</summary>
    private static class TypeInfoCache<T>
    {
        public static readonly JsonTypeInfo<T>? Value = JupyterMessageJsonContext.Wire.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>;
    }
}
