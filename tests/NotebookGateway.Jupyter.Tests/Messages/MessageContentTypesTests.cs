using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Comm;
using NotebookGateway.Jupyter.Messages.Control;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Shell;

namespace NotebookGateway.Jupyter.Tests.Messages;

public sealed partial class MessageContentTypesTests
{
    public static TheoryData<string> AllMessageTypes()
    {
        var data = new TheoryData<string>();
        foreach (var msgType in MessageSamples.AllWireNames)
        {
            data.Add(msgType);
        }

        return data;
    }

    [Fact]
    public void All_ComparedWithEveryConstant_MatchesExactly()
    {
        Assert.Equal(43, MessageSamples.AllWireNames.Count);
        Assert.Equal(MessageSamples.AllWireNames.Count, MessageSamples.AllWireNames.Distinct(StringComparer.Ordinal).Count());

        var expected = MessageSamples.AllWireNames.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, MessageContentTypes.All.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(expected, MessageSamples.ByMessageType.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void All_EveryRecord_IsRegisteredOnce()
    {
        var types = MessageContentTypes.All
            .Select(msgType => MessageContentTypes.TryGetTypeInfo(msgType, out var info) ? info.Type : null)
            .ToList();

        Assert.DoesNotContain(null, types);
        Assert.Equal(types.Count, types.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(AllMessageTypes))]
    public void RoundTrip_EveryMessageType_ProducesIdenticalBytes(string msgType)
    {
        var sample = MessageSamples.ByMessageType[msgType];
        Assert.True(MessageContentTypes.TryGetTypeInfo(msgType, out var info));
        Assert.Equal(sample.Content.GetType(), info.Type);

        var first = JsonSerializer.SerializeToUtf8Bytes(sample.Content, info);
        var parsed = JsonSerializer.Deserialize(first, info);
        Assert.NotNull(parsed);
        Assert.IsType(info.Type, parsed);
        var second = JsonSerializer.SerializeToUtf8Bytes(parsed, info);

        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(second));
        Assert.Equal(first, second);
    }

    [Theory]
    [MemberData(nameof(AllMessageTypes))]
    public void Serialize_EveryMessageType_WritesExactlyTheSpecSnakeCaseNames(string msgType)
    {
        var sample = MessageSamples.ByMessageType[msgType];
        Assert.True(MessageContentTypes.TryGetTypeInfo(msgType, out var info));

        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(sample.Content, info));
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToArray();

        Assert.Equal(sample.ExpectedNames.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.All(names, name => Assert.Matches(SnakeCase(), name));
    }

    [Theory]
    [MemberData(nameof(AllMessageTypes))]
    public void Deserialize_EveryMessageTypeWithUnknownMembers_IgnoresThem(string msgType)
    {
        var sample = MessageSamples.ByMessageType[msgType];
        Assert.True(MessageContentTypes.TryGetTypeInfo(msgType, out var info));
        var expected = JsonSerializer.SerializeToUtf8Bytes(sample.Content, info);

        var node = JsonNode.Parse(expected)!.AsObject();
        node.Insert(0, "x_future_field", new JsonObject { ["nested"] = new JsonArray(1, "two", null) });
        node.Add("another_unknown", null);
        node.Add("engine_info", new JsonObject { ["engine_uuid"] = "e1", ["engine_id"] = 0 });
        var withExtras = Encoding.UTF8.GetBytes(node.ToJsonString());

        var parsed = JsonSerializer.Deserialize(withExtras, info);

        Assert.NotNull(parsed);
        Assert.Equal(expected, JsonSerializer.SerializeToUtf8Bytes(parsed, info));
    }

    [Theory]
    [MemberData(nameof(AllMessageTypes))]
    public void MessageTypeOf_EveryContentRecord_ReturnsItsMessageType(string msgType)
    {
        var sample = MessageSamples.ByMessageType[msgType];

        Assert.Equal(msgType, MessageContentTypes.MessageTypeOf(sample.Content.GetType()));
    }

    [Theory]
    [MemberData(nameof(AllMessageTypes))]
    public void DefaultChannelOf_EveryMessageType_ReturnsExpectedChannel(string msgType)
    {
        Assert.Equal(MessageSamples.ByMessageType[msgType].Channel, MessageContentTypes.DefaultChannelOf(msgType));
    }

    [Theory]
    [InlineData("custom_request")]
    [InlineData("")]
    [InlineData("Execute_Request")]
    [InlineData("pyerr")]
    public void TryGetTypeInfo_UnknownMessageType_ReturnsFalse(string msgType)
    {
        Assert.False(MessageContentTypes.TryGetTypeInfo(msgType, out var info));
        Assert.Null(info);
        Assert.Null(MessageContentTypes.DefaultChannelOf(msgType));
    }

    [Fact]
    public void MessageTypeOf_NestedOrForeignType_ReturnsNull()
    {
        Assert.Null(MessageContentTypes.MessageTypeOf(typeof(LanguageInfo)));
        Assert.Null(MessageContentTypes.MessageTypeOf(typeof(string)));
    }

    [Theory]
    [InlineData("execute_request", "execute_reply")]
    [InlineData("kernel_info_request", "kernel_info_reply")]
    [InlineData("is_complete_request", "is_complete_reply")]
    [InlineData("create_subshell_request", "create_subshell_reply")]
    [InlineData("input_request", "input_reply")]
    [InlineData("custom_thing_request", "custom_thing_reply")]
    public void ReplyTypeFor_RequestType_ReturnsReplyType(string requestType, string expected)
    {
        Assert.Equal(expected, MessageContentTypes.ReplyTypeFor(requestType));
    }

    [Theory]
    [InlineData("execute_reply")]
    [InlineData("stream")]
    [InlineData("_request")]
    [InlineData("")]
    [InlineData("execute_request_x")]
    public void ReplyTypeFor_NotARequestType_ReturnsNull(string msgType)
    {
        Assert.Null(MessageContentTypes.ReplyTypeFor(msgType));
    }

    [Fact]
    public void ReplyTypeFor_EveryKnownRequest_IsAKnownReplyOnTheSameChannel()
    {
        var requests = MessageSamples.AllWireNames.Where(t => t.EndsWith("_request", StringComparison.Ordinal)).ToList();
        Assert.Equal(15, requests.Count);

        foreach (var request in requests)
        {
            var reply = MessageContentTypes.ReplyTypeFor(request);
            Assert.NotNull(reply);
            Assert.True(MessageContentTypes.TryGetTypeInfo(reply, out _), reply);
            Assert.Equal(MessageContentTypes.DefaultChannelOf(request), MessageContentTypes.DefaultChannelOf(reply));
        }
    }

    [Fact]
    public void Serialize_Generic_MatchesTheMappedTypeInfo()
    {
        var content = (ExecuteRequest)MessageSamples.ByMessageType[MessageTypes.ExecuteRequest].Content;
        Assert.True(MessageContentTypes.TryGetTypeInfo(MessageTypes.ExecuteRequest, out var info));

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(content, info), MessageContentTypes.Serialize(content));
    }

    [Fact]
    public void Deserialize_Generic_ReadsTheRecord()
    {
        var status = MessageContentTypes.Deserialize<StatusContent>("""{"execution_state":"idle"}"""u8);

        Assert.NotNull(status);
        Assert.Equal(ExecutionStates.Idle, status.ExecutionState);
    }

    [Fact]
    public void Serialize_UnregisteredType_ThrowsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => MessageContentTypes.Serialize(new NotAContent(1)));
        Assert.Throws<NotSupportedException>(() => MessageContentTypes.Deserialize<NotAContent>("{}"u8));
    }

    [Fact]
    public void Serialize_NullOptionalMembers_AreOmitted()
    {
        var json = MessageContentTypes.Serialize(new ExecuteReply { ExecutionCount = 1 });

        Assert.Equal("""{"status":"ok","execution_count":1}""", Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void Serialize_ErrorReply_CarriesErrorFieldsOnly()
    {
        var reply = new CompleteReply
        {
            Status = ReplyStatus.Error,
            EName = "KeyError",
            EValue = "'x'",
            Traceback = ["Traceback (most recent call last):", "KeyError: 'x'"],
        };

        var json = Encoding.UTF8.GetString(MessageContentTypes.Serialize(reply));

        Assert.Equal(
            """{"status":"error","ename":"KeyError","evalue":"'x'","traceback":["Traceback (most recent call last):","KeyError: 'x'"]}""",
            json);
    }

    [Fact]
    public void Serialize_EmptyContent_WritesEmptyObject()
    {
        Assert.Equal("{}", Encoding.UTF8.GetString(MessageContentTypes.Serialize(new KernelInfoRequest())));
    }

    [Fact]
    public void Deserialize_ExecuteRequestWithOnlyCode_AppliesSpecDefaults()
    {
        var request = MessageContentTypes.Deserialize<ExecuteRequest>("""{"code":"1+1"}"""u8);

        Assert.NotNull(request);
        Assert.Equal("1+1", request.Code);
        Assert.False(request.Silent);
        Assert.True(request.StoreHistory);
        Assert.True(request.AllowStdin);
        Assert.True(request.StopOnError);
        Assert.Empty(request.UserExpressions);
    }

    [Fact]
    public void Deserialize_ExecuteRequestWithExplicitFalseFlags_KeepsThem()
    {
        var request = MessageContentTypes.Deserialize<ExecuteRequest>(
            """{"code":"","silent":true,"store_history":false,"allow_stdin":false,"stop_on_error":false}"""u8);

        Assert.NotNull(request);
        Assert.True(request.Silent);
        Assert.False(request.StoreHistory);
        Assert.False(request.AllowStdin);
        Assert.False(request.StopOnError);
    }

    [Fact]
    public void Constructor_ExecuteRequestObjectInitializer_KeepsSpecDefaults()
    {
        var request = new ExecuteRequest { Code = "x" };

        Assert.True(request.StoreHistory);
        Assert.True(request.AllowStdin);
        Assert.True(request.StopOnError);
        Assert.False(request.Silent);
    }

    [Fact]
    public void Deserialize_MissingRequiredMembers_YieldsEmptyNonNullValues()
    {
        var display = MessageContentTypes.Deserialize<DisplayData>("{}"u8);
        var error = MessageContentTypes.Deserialize<ErrorContent>("{}"u8);
        var stream = MessageContentTypes.Deserialize<StreamOutput>("""{"text":"x"}"""u8);
        var reply = MessageContentTypes.Deserialize<InterruptReply>("{}"u8);

        Assert.NotNull(display);
        Assert.Empty(display.Data);
        Assert.Empty(display.Metadata);
        Assert.Null(display.Transient);
        Assert.NotNull(error);
        Assert.Equal("", error.EName);
        Assert.Empty(error.Traceback);
        Assert.Equal(StreamNames.Stdout, stream!.Name);
        Assert.Equal(ReplyStatus.Ok, reply!.Status);
    }

    [Fact]
    public void Deserialize_ExplicitNullForRequiredMembers_YieldsEmptyNonNullValues()
    {
        var open = MessageContentTypes.Deserialize<CommOpen>("""{"comm_id":null,"target_name":"t","data":null}"""u8);
        var result = MessageContentTypes.Deserialize<ExecuteResult>("""{"execution_count":1,"data":null,"metadata":null}"""u8);

        Assert.NotNull(open);
        Assert.Equal("", open.CommId);
        Assert.Empty(open.Data);
        Assert.NotNull(result);
        Assert.Empty(result.Data);
        Assert.Empty(result.Metadata);
    }

    [Fact]
    public void Serialize_NonAsciiAndHtmlCharacters_AreWrittenAsUtf8NotEscaped()
    {
        var json = Encoding.UTF8.GetString(MessageContentTypes.Serialize(
            new StreamOutput { Name = StreamNames.Stdout, Text = "héllo <b>'x'</b> & 漢字 \"q\"\n" }));

        Assert.Equal("""{"name":"stdout","text":"héllo <b>'x'</b> & 漢字 \"q\"\n"}""", json);
    }

    [Fact]
    public void Deserialize_WrongValueKind_ThrowsJsonException()
    {
        Assert.Throws<JsonException>(() => MessageContentTypes.Deserialize<ExecuteInput>("""{"code":"x","execution_count":"one"}"""u8));
    }

    [GeneratedRegex("^[a-z]+(_[a-z]+)*$")]
    private static partial Regex SnakeCase();

    private sealed record NotAContent(int Value);
}
