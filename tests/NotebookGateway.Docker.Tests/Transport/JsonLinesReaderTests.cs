using System.Text;
using NotebookGateway.Docker.Models;
using NotebookGateway.Docker.Tests.Support;
using NotebookGateway.Docker.Transport;

namespace NotebookGateway.Docker.Tests.Transport;

public sealed class JsonLinesReaderTests
{
    private static async Task<List<ProgressMessage>> ReadAsync(Stream stream, int maxLineBytes = JsonLinesReader.DefaultMaxLineBytes)
    {
        var list = new List<ProgressMessage>();
        await foreach (var item in JsonLinesReader.ReadAsync(stream, DockerJsonContext.Default.ProgressMessage, maxLineBytes))
        {
            list.Add(item);
        }

        return list;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(1000)]
    public async Task ReadAsync_BlankLinesCrLfAndMissingFinalNewline_YieldsEveryValue(int chunk)
    {
        var text = "{\"status\":\"a\"}\r\n\n  \n{\"status\":\"b\"}\n{\"status\":\"" + new string('c', 40000) + "\"}";

        var items = await ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(text), chunk));

        Assert.Equal(["a", "b", new string('c', 40000)], items.Select(i => i.Status));
    }

    [Fact]
    public async Task ReadAsync_LineAboveLimit_ThrowsProtocolError()
    {
        var text = "{\"status\":\"" + new string('x', 2000) + "\"}\n";

        await Assert.ThrowsAsync<DockerProtocolException>(() => ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), maxLineBytes: 1024));
    }

    [Fact]
    public async Task ReadAsync_MalformedLine_ThrowsProtocolError()
    {
        await Assert.ThrowsAsync<DockerProtocolException>(() => ReadAsync(new MemoryStream("{\"status\":\"a\"}\n{oops\n"u8.ToArray())));
    }
}
