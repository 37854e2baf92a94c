using System.Text;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Tests.Messages;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Zmq;

namespace NotebookGateway.Jupyter.Tests.Wire;

public sealed class ZmqWireCodecTests
{
    private const string GoldenHeader =
        """{"msg_id":"0123456789abcdef0123456789abcdef","msg_type":"kernel_info_request","username":"tester","session":"session-1","date":"2026-01-02T03:04:05.000000Z","version":"5.3"}""";

    // Computed independently with Python's hmac module over the same four byte strings.
    private const string GoldenSignature = "fe3bd4b352e8503de0a7ccd6df4cfa2c331e5eee7c54244a25f20a814e45d198";

    private static readonly MessageSigner Signer = new("golden-key");

    private static JupyterMessage GoldenMessage(IReadOnlyList<ReadOnlyMemory<byte>>? identities = null)
    {
        var header = new MessageHeader
        {
            MsgId = "0123456789abcdef0123456789abcdef",
            MsgType = MessageTypes.KernelInfoRequest,
            Username = "tester",
            Session = "session-1",
            Date = "2026-01-02T03:04:05.000000Z",
            Version = "5.3",
        };
        return new JupyterMessage(header, header.ToJson(), "{}"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray(), null, identities);
    }

    [Fact]
    public void Encode_FixedKeyAndHeader_ProducesExactFramesAndSignature()
    {
        var codec = new ZmqWireCodec(Signer);

        ZmqMessage frames = codec.Encode(GoldenMessage([Encoding.ASCII.GetBytes("client-7")]));

        string[] text = frames.Frames.Select(f => Encoding.UTF8.GetString(f.Span)).ToArray();
        Assert.Equal(["client-7", "<IDS|MSG>", GoldenSignature, GoldenHeader, "{}", "{}", "{}"], text);
    }

    [Fact]
    public void Decode_GoldenFrames_RoundTripsExactBytesAndIdentities()
    {
        var codec = new ZmqWireCodec(Signer);
        ZmqMessage frames = ZmqMessage.FromStrings("id-a", "id-b", "<IDS|MSG>", GoldenSignature, GoldenHeader, "{}", "{}", "{}", "buffer-1");

        DecodeResult result = codec.Decode(frames);

        Assert.True(result.Success, result.Error.ToString());
        JupyterMessage message = result.Message!;
        Assert.Equal(["id-a", "id-b"], message.Identities.Select(i => Encoding.UTF8.GetString(i.Span)));
        Assert.Equal(GoldenHeader, Encoding.UTF8.GetString(message.HeaderJson.Span));
        Assert.Equal("kernel_info_request", message.MsgType);
        Assert.Equal("5.3", message.Header.Version);
        Assert.Equal("buffer-1", Encoding.UTF8.GetString(Assert.Single(message.Buffers).Span));
        Assert.Equal(0, codec.RejectedCount);
    }

    public static TheoryData<string> AllMessageTypes()
    {
        var data = new TheoryData<string>();
        foreach (string type in MessageSamples.AllWireNames)
        {
            data.Add(type);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllMessageTypes))]
    public void EncodeDecode_EveryMessageType_RoundTripsThroughTheWire(string msgType)
    {
        object content = MessageSamples.ByMessageType[msgType].Content;
        Assert.True(MessageContentTypes.TryGetTypeInfo(msgType, out var typeInfo));
        byte[] json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(content, typeInfo);
        JupyterMessage parent = GoldenMessage();
        JupyterMessage original = JupyterMessage.Create(msgType, json, "s", "u", parent, "{\"m\":1}"u8.ToArray(), [new byte[] { 0, 1, 2 }]);
        var sender = new ZmqWireCodec(Signer);
        var receiver = new ZmqWireCodec(Signer);

        DecodeResult result = receiver.Decode(sender.Encode(original));

        Assert.True(result.Success, result.Error.ToString());
        JupyterMessage copy = result.Message!;
        Assert.Equal(msgType, copy.MsgType);
        Assert.Equal(parent.MsgId, copy.ParentMsgId);
        Assert.True(copy.HeaderJson.Span.SequenceEqual(original.HeaderJson.Span));
        Assert.True(copy.ContentJson.Span.SequenceEqual(json));
        Assert.True(copy.MetadataJson.Span.SequenceEqual("{\"m\":1}"u8));
        Assert.Equal(new byte[] { 0, 1, 2 }, Assert.Single(copy.Buffers).ToArray());
        object? parsed = System.Text.Json.JsonSerializer.Deserialize(copy.ContentJson.Span, typeInfo);
        Assert.Equal(json, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(parsed, typeInfo));
    }

    public static TheoryData<string, WireError> Malformed() => new()
    {
        { "no-delimiter", WireError.MissingDelimiter },
        { "too-few", WireError.TooFewFrames },
        { "too-many-buffers", WireError.TooManyFrames },
        { "too-many-identities", WireError.TooManyIdentities },
        { "bad-signature", WireError.BadSignature },
        { "missing-signature", WireError.MissingSignature },
        { "non-json-header", WireError.InvalidHeader },
        { "header-without-msg-id", WireError.InvalidHeader },
        { "header-trailing-garbage", WireError.InvalidHeader },
        { "header-lone-surrogate", WireError.InvalidHeader },
        { "version-4", WireError.UnsupportedVersion },
        { "version-6", WireError.UnsupportedVersion },
        { "content-array", WireError.InvalidContent },
        { "content-truncated", WireError.InvalidContent },
        { "metadata-invalid-utf8", WireError.InvalidMetadata },
        { "parent-not-json", WireError.InvalidParentHeader },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Decode_MalformedMessage_IsRejectedAndCountedWithoutThrowing(string kind, WireError expected)
    {
        var codec = new ZmqWireCodec(Signer, new WireLimits { MaxBuffers = 4, MaxIdentities = 4 });
        WireError? raised = null;
        codec.Rejected += e => raised = e;

        DecodeResult result = codec.Decode(BuildMalformed(kind));

        Assert.False(result.Success);
        Assert.Null(result.Message);
        Assert.Equal(expected, result.Error);
        Assert.Equal(expected, raised);
        Assert.Equal(1, codec.RejectedCount);
    }

    [Fact]
    public void Decode_ThousandsOfRandomMutations_NeverThrowsAndNeverAcceptsAForgery()
    {
        var random = new Random(20261122);
        ZmqMessage valid = Signed(GoldenHeader, content: "{\"code\":\"print(1)\"}");
        var codec = new ZmqWireCodec(Signer, new WireLimits { SignatureHistory = 0 });
        int accepted = 0;
        for (int n = 0; n < 5000; n++)
        {
            var frames = valid.Frames.Select(f => f.ToArray()).ToList();
            switch (random.Next(4))
            {
                case 0: // flip bytes in one frame
                    byte[] target = frames[random.Next(frames.Count)];
                    if (target.Length > 0)
                    {
                        target[random.Next(target.Length)] ^= (byte)(1 + random.Next(255));
                    }
                    break;
                case 1: // drop a frame
                    frames.RemoveAt(random.Next(frames.Count));
                    break;
                case 2: // insert random garbage
                    byte[] garbage = new byte[random.Next(64)];
                    random.NextBytes(garbage);
                    frames.Insert(random.Next(frames.Count + 1), garbage);
                    break;
                default: // truncate a frame
                    int index = random.Next(frames.Count);
                    frames[index] = frames[index][..random.Next(frames[index].Length + 1)];
                    break;
            }

            DecodeResult result = codec.Decode(new ZmqMessage(frames.Select(f => (ReadOnlyMemory<byte>)f)));

            if (result.Success)
            {
                accepted++;
                // Only changes outside the signed parts may pass (e.g. an extra identity or buffer frame).
                Assert.Equal(GoldenHeader, Encoding.UTF8.GetString(result.Message!.HeaderJson.Span));
                Assert.Equal("{\"code\":\"print(1)\"}", Encoding.UTF8.GetString(result.Message.ContentJson.Span));
            }
        }
        Assert.True(codec.RejectedCount > 4000, $"only {codec.RejectedCount} rejected, {accepted} accepted");
    }

    [Fact]
    public void Decode_WrongKey_IsRejected()
    {
        ZmqMessage frames = new ZmqWireCodec(new MessageSigner("another-key")).Encode(GoldenMessage());

        DecodeResult result = new ZmqWireCodec(Signer).Decode(frames);

        Assert.Equal(WireError.BadSignature, result.Error);
    }

    [Fact]
    public void Decode_ReplayedMessage_IsRejectedTheSecondTime()
    {
        ZmqMessage frames = new ZmqWireCodec(Signer).Encode(GoldenMessage());
        var codec = new ZmqWireCodec(Signer);

        Assert.True(codec.Decode(frames).Success);
        Assert.Equal(WireError.ReplayedSignature, codec.Decode(frames).Error);
    }

    [Fact]
    public void Decode_OversizeMessage_IsRejectedBeforeParsing()
    {
        var codec = new ZmqWireCodec(Signer, new WireLimits { MaxMessageBytes = 1024 });
        JupyterMessage big = JupyterMessage.Create(MessageTypes.Stream, Encoding.UTF8.GetBytes("{\"name\":\"stdout\",\"text\":\"" + new string('x', 2000) + "\"}"), "s", "u");

        DecodeResult result = codec.Decode(new ZmqWireCodec(Signer).Encode(big));

        Assert.Equal(WireError.Oversize, result.Error);
    }

    [Theory]
    [InlineData("5.0")]
    [InlineData("5.3")]
    [InlineData("5.5")]
    public void Decode_Protocol5Versions_AreAcceptedAndPassedThrough(string version)
    {
        JupyterMessage message = JupyterMessage.Create(MessageTypes.KernelInfoRequest, "{}"u8.ToArray(), "s", "u", version: version);

        DecodeResult result = new ZmqWireCodec(Signer).Decode(new ZmqWireCodec(Signer).Encode(message));

        Assert.True(result.Success);
        Assert.Equal(version, result.Message!.Header.Version);
        Assert.Contains($"\"version\":\"{version}\"", Encoding.UTF8.GetString(result.Message.HeaderJson.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void Signer_EmptyKey_DisablesSigningAndAcceptsUnsigned()
    {
        var unsigned = new MessageSigner("");
        ZmqMessage frames = new ZmqWireCodec(unsigned).Encode(GoldenMessage());

        Assert.Equal("", Encoding.UTF8.GetString(frames[1].Span));
        Assert.True(new ZmqWireCodec(unsigned).Decode(frames).Success);
    }

    [Fact]
    public void Signer_NewKey_Is256BitHexAndFresh()
    {
        string a = MessageSigner.NewKey();
        string b = MessageSigner.NewKey();

        Assert.Matches("^[0-9a-f]{64}$", a);
        Assert.NotEqual(a, b);
    }

    private static ZmqMessage Signed(string header, string parent = "{}", string metadata = "{}", string content = "{}", params string[] extra)
    {
        byte[] sig = Signer.Sign(Encoding.UTF8.GetBytes(header), Encoding.UTF8.GetBytes(parent), Encoding.UTF8.GetBytes(metadata), Encoding.UTF8.GetBytes(content));
        return ZmqMessage.FromStrings(["<IDS|MSG>", Encoding.ASCII.GetString(sig), header, parent, metadata, content, .. extra]);
    }

    private static ZmqMessage BuildMalformed(string kind)
    {
        switch (kind)
        {
            case "no-delimiter":
                return ZmqMessage.FromStrings("id", GoldenSignature, GoldenHeader, "{}", "{}", "{}");
            case "too-few":
                return ZmqMessage.FromStrings("<IDS|MSG>", GoldenSignature, GoldenHeader, "{}");
            case "too-many-buffers":
                return Signed(GoldenHeader, extra: ["1", "2", "3", "4", "5"]);
            case "too-many-identities":
                return ZmqMessage.FromStrings("a", "b", "c", "d", "e", "f", "<IDS|MSG>", GoldenSignature, GoldenHeader, "{}", "{}", "{}");
            case "bad-signature":
                return ZmqMessage.FromStrings("<IDS|MSG>", GoldenSignature.Replace('f', 'e'), GoldenHeader, "{}", "{}", "{}");
            case "missing-signature":
                return ZmqMessage.FromStrings("<IDS|MSG>", "", GoldenHeader, "{}", "{}", "{}");
            case "non-json-header":
                return Signed("this is not json");
            case "header-without-msg-id":
                return Signed("""{"msg_type":"execute_request","version":"5.3"}""");
            case "header-trailing-garbage":
                return Signed(GoldenHeader + "}");
            case "header-lone-surrogate":
                return Signed(GoldenHeader.Replace("\"tester\"", "\"\\ud800\"", StringComparison.Ordinal));
            case "version-4":
                return Signed(GoldenHeader.Replace("\"5.3\"", "\"4.1\"", StringComparison.Ordinal));
            case "version-6":
                return Signed(GoldenHeader.Replace("\"5.3\"", "\"6.0\"", StringComparison.Ordinal));
            case "content-array":
                return Signed(GoldenHeader, content: "[1,2]");
            case "content-truncated":
                return Signed(GoldenHeader, content: "{\"code\":\"1\"");
            case "metadata-invalid-utf8":
            {
                byte[] metadata = [(byte)'{', (byte)'"', 0xff, 0xfe, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
                byte[] header = Encoding.UTF8.GetBytes(GoldenHeader);
                byte[] sig = Signer.Sign(header, "{}"u8, metadata, "{}"u8);
                return new ZmqMessage("<IDS|MSG>"u8.ToArray(), sig, header, "{}"u8.ToArray(), metadata, "{}"u8.ToArray());
            }
            case "parent-not-json":
                return Signed(GoldenHeader, parent: "nope");
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}
