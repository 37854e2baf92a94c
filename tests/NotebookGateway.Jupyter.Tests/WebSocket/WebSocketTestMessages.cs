using System.Text;
using NotebookGateway.Jupyter.Envelope;

namespace NotebookGateway.Jupyter.Tests.WebSocket;

/// <summary>Messages built from fixed raw bytes, so tests can check that every byte survives.</summary>
internal static class WebSocketTestMessages
{
    public const string GoldenHeader =
        """{"msg_id":"m1","msg_type":"execute_request","username":"u","session":"s","date":"2026-01-02T03:04:05.000000Z","version":"5.3"}""";

    public const string GoldenContent = """{"code":"1+1","silent":false}""";

    /// <summary>Non-ASCII, escapes, odd whitespace and number forms: none of it may be normalised.</summary>
    public const string TrickyContent =
        "{ \"code\" : \"print(\\\"h\u00e9llo \u2603 \U0001F600\\\")\\n\",\n\t\"esc\":\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\",\"n\":[1,2.5E3,-0.0,null,true] }";

    public const string TrickyHeader =
        "{\"msg_id\":\"id-\u00e9-\\u2603\",\"msg_type\":\"comm_msg\",\"username\":\"\u00fcser\",\"session\":\"s\\\"q\",\"version\":\"5.3\",\"date\":\"2026-01-02T03:04:05Z\"}";

    public const string ParentHeader =
        """{"msg_id":"parent-1","msg_type":"execute_request","username":"u","session":"s","date":"2026-01-02T03:04:05.000000Z","version":"5.3"}""";

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    public static JupyterMessage Create(
        string header,
        string parent = "{}",
        string metadata = "{}",
        string content = "{}",
        params byte[][] buffers)
    {
        Assert.True(MessageHeader.TryParse(Utf8(header), out MessageHeader? parsed));
        return new JupyterMessage(
            parsed!,
            Utf8(header),
            Utf8(parent),
            Utf8(metadata),
            Utf8(content),
            buffers.Select(b => (ReadOnlyMemory<byte>)b).ToArray());
    }

    public static JupyterMessage Golden(params byte[][] buffers) =>
        Create(GoldenHeader, content: GoldenContent, buffers: buffers);

    public static JupyterMessage Tricky(params byte[][] buffers) =>
        Create(TrickyHeader, ParentHeader, """{"meta":"d\u00e4ta"}""", TrickyContent, buffers);

    public static void AssertSameParts(JupyterMessage expected, JupyterMessage actual)
    {
        Assert.Equal(Text(expected.HeaderJson), Text(actual.HeaderJson));
        Assert.Equal(expected.HeaderJson.ToArray(), actual.HeaderJson.ToArray());
        Assert.Equal(expected.ParentHeaderJson.ToArray(), actual.ParentHeaderJson.ToArray());
        Assert.Equal(expected.MetadataJson.ToArray(), actual.MetadataJson.ToArray());
        Assert.Equal(expected.ContentJson.ToArray(), actual.ContentJson.ToArray());
        Assert.Equal(expected.Buffers.Count, actual.Buffers.Count);
        for (int i = 0; i < expected.Buffers.Count; i++)
        {
            Assert.Equal(expected.Buffers[i].ToArray(), actual.Buffers[i].ToArray());
        }
        Assert.Equal(expected.Header, actual.Header);
    }
}
