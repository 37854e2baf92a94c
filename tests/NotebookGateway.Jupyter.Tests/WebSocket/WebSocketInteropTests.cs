using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.WebSocket;
using NotebookGateway.Testing;
using static NotebookGateway.Jupyter.Tests.WebSocket.WebSocketTestMessages;

namespace NotebookGateway.Jupyter.Tests.WebSocket;

/// <summary>
/// Both directions against jupyter_server's own framing helpers (Debian's python3-jupyter-server 1.23), driven
/// by ws_interop.py: our frames decoded by the server's functions, and the server's frames decoded by us.
/// </summary>
public sealed class WebSocketInteropTests
{
    private static readonly byte[][] Buffers = [[0, 1, 2, 0xff], [], [.. Enumerable.Range(0, 256).Select(i => (byte)i)]];

    [Fact]
    public async Task Interop_JupyterServer123_BothDirectionsAgree()
    {
        LocalIpyKernel.RequirePython("jupyter_server.base.zmqhandlers", "python3-jupyter-server");
        using var temp = new TempDirectory("wsinterop");
        string input = temp.Combine("ours.json");
        string output = temp.Combine("theirs.json");
        int ourCases = await WriteOurFramesAsync(input);

        await RunScriptAsync(input, output);

        using JsonDocument result = JsonDocument.Parse(await File.ReadAllBytesAsync(output));
        JsonElement root = result.RootElement;
        Assert.Equal(ourCases, root.GetProperty("checked").GetInt32());
        Assert.Empty(root.GetProperty("failures").EnumerateArray().Select(f => f.GetString()));

        var codec = new WebSocketMessageCodec();
        int decoded = 0;
        foreach (JsonElement frame in root.GetProperty("frames").EnumerateArray())
        {
            string name = frame.GetProperty("name").GetString()!;
            WebSocketProtocol protocol = frame.GetProperty("kind").GetString() == "v1" ? WebSocketProtocol.V1 : WebSocketProtocol.Json;
            var wsFrame = new WebSocketFrame(frame.GetProperty("is_text").GetBoolean(), frame.GetProperty("frame").GetBytesFromBase64());

            WebSocketDecodeResult result2 = codec.Decode(wsFrame, protocol);

            Assert.True(result2.Success, $"{name}: {result2.Error}");
            JupyterMessage message = result2.Message!;
            Assert.Equal(frame.GetProperty("channel").GetString(), result2.Channel.ToWireName());
            Assert.Equal(Text(frame.GetProperty("header").GetBytesFromBase64()), Text(message.HeaderJson));
            Assert.Equal(frame.GetProperty("header").GetBytesFromBase64(), message.HeaderJson.ToArray());
            Assert.Equal(frame.GetProperty("parent_header").GetBytesFromBase64(), message.ParentHeaderJson.ToArray());
            Assert.Equal(frame.GetProperty("metadata").GetBytesFromBase64(), message.MetadataJson.ToArray());
            Assert.Equal(frame.GetProperty("content").GetBytesFromBase64(), message.ContentJson.ToArray());
            Assert.Equal(
                frame.GetProperty("buffers").EnumerateArray().Select(b => Convert.ToHexString(b.GetBytesFromBase64())),
                message.Buffers.Select(b => Convert.ToHexString(b.Span)));
            Assert.Equal("comm_msg", message.MsgType);
            Assert.Equal("execute_request", message.ParentHeader?.MsgType);
            Assert.True(MessageHeader.IsSupportedVersion(message.Header.Version), message.Header.Version);

            // And back: our re-encoding must carry the same bytes the Python side produced.
            WebSocketFrame again = WebSocketMessageCodec.Encode(message, result2.Channel, protocol);
            WebSocketDecodeResult third = codec.Decode(again, protocol);
            Assert.True(third.Success);
            AssertSameParts(message, third.Message!);
            decoded++;
        }
        Assert.Equal(6, decoded);
    }

    private static async Task<int> WriteOurFramesAsync(string path)
    {
        var cases = new List<(string Name, string Kind, JupyterMessage Message, MessageChannel Channel, WebSocketProtocol Protocol)>
        {
            ("ours-text-golden", "text", Golden(), MessageChannel.Shell, WebSocketProtocol.Json),
            ("ours-text-tricky", "text", Tricky(), MessageChannel.IOPub, WebSocketProtocol.Json),
            ("ours-legacy-1-buffer", "legacy", Golden([7]), MessageChannel.IOPub, WebSocketProtocol.Json),
            ("ours-legacy-3-buffers", "legacy", Tricky(Buffers), MessageChannel.Shell, WebSocketProtocol.Json),
            ("ours-v1-golden", "v1", Golden(), MessageChannel.Shell, WebSocketProtocol.V1),
            ("ours-v1-tricky", "v1", Tricky(), MessageChannel.Stdin, WebSocketProtocol.V1),
            ("ours-v1-3-buffers", "v1", Tricky(Buffers), MessageChannel.Control, WebSocketProtocol.V1),
        };
        await using FileStream stream = File.Create(path);
        await using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartObject();
        writer.WriteStartArray("cases");
        foreach ((string name, string kind, JupyterMessage message, MessageChannel channel, WebSocketProtocol protocol) in cases)
        {
            WebSocketFrame frame = WebSocketMessageCodec.Encode(message, channel, protocol);
            writer.WriteStartObject();
            writer.WriteString("name", name);
            writer.WriteString("kind", kind);
            writer.WriteBoolean("is_text", frame.IsText);
            writer.WriteBase64String("frame", frame.Payload.Span);
            writer.WriteString("channel", channel.ToWireName());
            writer.WriteBase64String("header", message.HeaderJson.Span);
            writer.WriteBase64String("parent_header", message.ParentHeaderJson.Span);
            writer.WriteBase64String("metadata", message.MetadataJson.Span);
            writer.WriteBase64String("content", message.ContentJson.Span);
            writer.WriteStartArray("buffers");
            foreach (ReadOnlyMemory<byte> buffer in message.Buffers)
            {
                writer.WriteBase64StringValue(buffer.Span);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        return cases.Count;
    }

    private static async Task RunScriptAsync(string input, string output)
    {
        using var process = Process.Start(new ProcessStartInfo(LocalIpyKernel.Python, [ScriptPath(), input, output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Long);
        Assert.True(process.ExitCode == 0, $"ws_interop.py failed:\n{await stdout}\n{await stderr}");
    }

    /// <summary>
    /// Next to the test binaries if the project copies it there (<c>WebSocket/*.py</c>), else beside this source file.
    /// </summary>
    private static string ScriptPath([CallerFilePath] string sourceFile = "")
    {
        string copied = Path.Combine(AppContext.BaseDirectory, "WebSocket", "ws_interop.py");
        if (File.Exists(copied))
        {
            return copied;
        }
        string source = Path.Combine(Path.GetDirectoryName(sourceFile) ?? ".", "ws_interop.py");
        Assert.True(File.Exists(source), $"ws_interop.py not found at {copied} or {source}");
        return source;
    }
}
