using System.Text;
using System.Text.Json.Nodes;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Specs;

namespace NotebookGateway.Kernels.Tests.Specs;

public sealed class VerifiedKernelTests
{
    private static KernelSpec Spec(string argv = "[\"R\", \"{connection_file}\"]", string language = "R", string transport = "tcp-loopback")
    {
        var json = new JsonObject
        {
            ["argv"] = JsonNode.Parse(argv),
            ["display_name"] = "R",
            ["language"] = language,
            ["metadata"] = new JsonObject { ["notebookgateway"] = new JsonObject { ["image"] = "img", ["transport"] = transport } },
        };
        return KernelSpecParser.Parse("ir", "/nonexistent", Encoding.UTF8.GetBytes(json.ToJsonString()), new EnvelopeOptions());
    }

    private static VerifiedKernel Entry() => new()
    {
        Spec = "ir",
        Argv = ["R", "{connection_file}"],
        Language = "R",
        Transport = KernelTransport.TcpLoopback,
        LanguageInfo = new JsonObject { ["name"] = "R", ["version"] = "4.2.2" },
        Implementation = "IRkernel",
        ImplementationVersion = "1.3.2",
        ProtocolVersion = "5.3",
    };

    [Fact]
    public void Label_RoundTrips_AndFindsTheSpecItVerified()
    {
        string label = VerifiedKernel.ToLabel([Entry()]);
        var labels = new Dictionary<string, string> { [VerifiedKernel.LabelKey] = label };

        VerifiedKernel? found = VerifiedKernel.Find(labels, Spec());

        Assert.NotNull(found);
        Assert.Equal("4.2.2", found.LanguageVersion);
        Assert.Equal("IRkernel", found.Implementation);
        Assert.Equal(KernelTransport.TcpLoopback, found.Transport);
    }

    [Theory]
    [InlineData("[\"R\", \"--vanilla\", \"{connection_file}\"]", "R", "tcp-loopback")] // another command
    [InlineData("[\"R\", \"{connection_file}\"]", "python", "tcp-loopback")] // another language
    [InlineData("[\"R\", \"{connection_file}\"]", "R", "ipc")] // another transport
    public void Find_AnotherKernel_IsNotVerifiedByTheEntry(string argv, string language, string transport)
    {
        var labels = new Dictionary<string, string> { [VerifiedKernel.LabelKey] = VerifiedKernel.ToLabel([Entry()]) };

        Assert.Null(VerifiedKernel.Find(labels, Spec(argv, language, transport)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"spec\": \"ir\"}")]
    [InlineData("[{\"spec\": \"ir\", \"argv\": [1], \"language\": \"R\", \"language_info\": {}}]")]
    [InlineData("[{\"spec\": \"ir\", \"argv\": [\"R\"], \"language\": \"R\", \"transport\": \"carrier-pigeon\", \"language_info\": {}}]")]
    public void ParseLabel_Malformed_YieldsNothing(string label)
    {
        Assert.Empty(VerifiedKernel.ParseLabel(label));
        Assert.Null(VerifiedKernel.Find(new Dictionary<string, string> { [VerifiedKernel.LabelKey] = label }, Spec()));
    }

    [Fact]
    public void Find_WithoutTheLabel_IsNull() =>
        Assert.Null(VerifiedKernel.Find(new Dictionary<string, string>(), Spec()));
}
