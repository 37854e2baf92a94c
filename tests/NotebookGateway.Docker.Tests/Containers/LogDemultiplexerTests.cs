using System.Text;
using NotebookGateway.Docker.Containers;
using NotebookGateway.Docker.Tests.Support;

namespace NotebookGateway.Docker.Tests.Containers;

public sealed class LogDemultiplexerTests
{
    private static async Task<List<(LogStreamKind Stream, string Text)>> ReadAllAsync(Stream stream)
    {
        var frames = new List<(LogStreamKind, string)>();
        await foreach (var frame in LogDemultiplexer.ReadFramesAsync(stream))
        {
            frames.Add((frame.Stream, Encoding.UTF8.GetString(frame.Payload.Span)));
        }

        return frames;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(4096)]
    public async Task ReadFramesAsync_FramesSplitAcrossReads_ReassemblesEveryFrame(int chunk)
    {
        var longLine = new string('x', 5000) + "\n";
        var data = LogFrames.Encode(
            (LogStreamKind.Stdout, "out 1\n"),
            (LogStreamKind.Stderr, "err 1\n"),
            (LogStreamKind.Stdout, longLine),
            (LogStreamKind.Stderr, "héllo ünïcode\n"));
        var stream = new TrickleStream(data, chunk);

        var frames = await ReadAllAsync(stream);

        Assert.Equal(
            [(LogStreamKind.Stdout, "out 1\n"), (LogStreamKind.Stderr, "err 1\n"), (LogStreamKind.Stdout, longLine), (LogStreamKind.Stderr, "héllo ünïcode\n")],
            frames);
        if (chunk == 1)
        {
            Assert.True(stream.Reads >= data.Length);
        }
    }

    [Fact]
    public async Task ReadFramesAsync_EmptyStream_YieldsNothing()
    {
        Assert.Empty(await ReadAllAsync(new MemoryStream()));
    }

    [Fact]
    public async Task ReadFramesAsync_ZeroLengthFrame_YieldsEmptyPayload()
    {
        var data = LogFrames.Encode((LogStreamKind.Stdout, ""), (LogStreamKind.Stderr, "e"));

        var frames = await ReadAllAsync(new TrickleStream(data, 2));

        Assert.Equal([(LogStreamKind.Stdout, ""), (LogStreamKind.Stderr, "e")], frames);
    }

    [Fact]
    public async Task ReadFramesAsync_StreamEndsInsidePayload_ThrowsProtocolError()
    {
        var data = LogFrames.Encode((LogStreamKind.Stdout, "0123456789"));

        var error = await Assert.ThrowsAsync<DockerProtocolException>(
            () => ReadAllAsync(new TrickleStream(data[..^3], 4)));

        Assert.Contains("7 of 10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFramesAsync_StreamEndsInsideHeader_ThrowsProtocolError()
    {
        var data = LogFrames.Encode((LogStreamKind.Stdout, "a"));

        await Assert.ThrowsAsync<DockerProtocolException>(
            () => ReadAllAsync(new MemoryStream(data.Concat(new byte[] { 1, 0, 0 }).ToArray())));
    }

    [Fact]
    public async Task ReadFramesAsync_RawTtyText_ThrowsProtocolErrorMentioningTty()
    {
        var error = await Assert.ThrowsAsync<DockerProtocolException>(
            () => ReadAllAsync(new MemoryStream("hello world\n"u8.ToArray())));

        Assert.Contains("TTY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFramesAsync_FrameAboveLimit_ThrowsProtocolError()
    {
        var data = LogFrames.Encode((LogStreamKind.Stdout, new string('x', 100)));

        await Assert.ThrowsAsync<DockerProtocolException>(async () =>
        {
            await foreach (var _ in LogDemultiplexer.ReadFramesAsync(new MemoryStream(data), maxFrameBytes: 99))
            {
            }
        });
    }
}
