using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace NotebookGateway.Server.Hubs;

/// <summary>
/// SignalR's JSON protocol, except that an invocation of a listed hub method may leave out its trailing options
/// arguments (they bind as null), as the hub contract promises (<c>Execute(kernelId, clientId, code, options?)</c>,
/// <c>StartKernel(options?)</c>). SignalR itself requires every argument (dotnet/aspnetcore#8853).
/// </summary>
public sealed class OptionalArgumentsHubProtocol(IHubProtocol inner, IReadOnlyDictionary<string, int> optionalTrailingArguments) : IHubProtocol
{
    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        ReadOnlySequence<byte> original = input;
        if (!inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
        }
        if (message is InvocationBindingFailureMessage failure && optionalTrailingArguments.TryGetValue(failure.Target, out int optional))
        {
            for (int omitted = 1; omitted <= optional; omitted++)
            {
                ReadOnlySequence<byte> retry = original;
                if (inner.TryParseMessage(ref retry, new FewerArgumentsBinder(binder, failure.Target, omitted), out HubMessage? parsed)
                    && parsed is InvocationMessage invocation)
                {
                    object?[] arguments = [.. invocation.Arguments, .. new object?[omitted]];
                    message = new InvocationMessage(invocation.InvocationId, invocation.Target, arguments, invocation.StreamIds) { Headers = invocation.Headers };
                    input = retry;
                    return true;
                }
            }
        }
        return true;
    }

    /// <summary>The hub's binder with the last <paramref name="omitted"/> parameters of one method cut off.</summary>
    private sealed class FewerArgumentsBinder(IInvocationBinder binder, string target, int omitted) : IInvocationBinder
    {
        public Type GetReturnType(string invocationId) => binder.GetReturnType(invocationId);

        public IReadOnlyList<Type> GetParameterTypes(string methodName)
        {
            IReadOnlyList<Type> types = binder.GetParameterTypes(methodName);
            return methodName == target && types.Count >= omitted ? types.Take(types.Count - omitted).ToList() : types;
        }

        public Type GetStreamItemType(string streamId) => binder.GetStreamItemType(streamId);

        public string? GetTarget(ReadOnlySpan<byte> utf8Bytes) => binder.GetTarget(utf8Bytes);
    }
}
