using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Server.Admission;
using NotebookGateway.Server.Metrics;

namespace NotebookGateway.Server.Tests.Admission;

/// <summary>Which size limit and which deny rules a kernel gets, and what its check answers (no gateway, no kernel).</summary>
public sealed class AdmissionRulesTests
{
    /// <summary>Catastrophic backtracking: a run of x without a y takes exponential time.</summary>
    public const string PathologicalPattern = "(x+x+)+y";

    private static readonly Dictionary<string, IReadOnlyList<string>> GroupsOf = new()
    {
        ["sam"] = ["students"],
        ["tina"] = ["staff"],
        ["both"] = ["students", "staff", "unlimited"],
    };

    private static AdmissionRules Create(AdmissionOptions options) =>
        new(options, user => GroupsOf.GetValueOrDefault(user) ?? [], TimeProvider.System, NullLogger.Instance);

    private static JupyterMessage Request(string content, string msgType = MessageTypes.ExecuteRequest)
    {
        MessageHeader header = MessageHeader.Create(msgType, "client-session", "u");
        return new JupyterMessage(header, header.ToJson(), "{}"u8.ToArray(), "{}"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes(content));
    }

    private static JupyterMessage Execute(string code) =>
        Request(new JsonObject { ["code"] = code, ["silent"] = false, ["user_expressions"] = new JsonObject() }.ToJsonString());

    private static string EValue(ExecutionRefusal refusal)
    {
        using JsonDocument reply = JsonDocument.Parse(refusal.Reply.ContentJson);
        Assert.Equal("error", reply.RootElement.GetProperty("status").GetString());
        Assert.Equal(CodeAdmission.ErrorName, reply.RootElement.GetProperty("ename").GetString());
        return reply.RootElement.GetProperty("evalue").GetString()!;
    }

    private static string Notice(ExecutionRefusal refusal) =>
        Assert.Single(refusal.IOPub, m => m.MsgType == MessageTypes.Stream).GetContentString("text")!;

    [Fact]
    public void MaxCodeBytes_TheMostSpecificSettingWins_UserThenLargestGroupThenSpecThenDefault()
    {
        using AdmissionRules rules = Create(new AdmissionOptions
        {
            MaxCodeBytes = 1000,
            MaxCodeBytesPerKernelSpec = { ["python3"] = 500, ["big"] = 5000 },
            MaxCodeBytesPerGroup = { ["students"] = 200, ["staff"] = 3000, ["unlimited"] = 0 },
            MaxCodeBytesPerUser = { ["tina"] = 100 },
        });

        Assert.Equal(1000, rules.For("nobody", "r").MaxCodeBytes);    // the default
        Assert.Equal(500, rules.For("nobody", "python3").MaxCodeBytes); // the spec's
        Assert.Equal(200, rules.For("sam", "big").MaxCodeBytes);        // the group's, even below the spec's
        Assert.Equal(100, rules.For("tina", "big").MaxCodeBytes);       // the user's own, even below the group's
        Assert.Equal(0, rules.For("both", "python3").MaxCodeBytes);     // the largest group grant: 0, no limit
    }

    [Fact]
    public void For_DenyRules_AreScopedBySpecAndByUserOrGroup_EmptyScopeIsEveryone()
    {
        using AdmissionRules rules = Create(new AdmissionOptions
        {
            DenyRules =
            {
                new DenyRuleOptions { Name = "everyone", Pattern = "a", Message = "m" },
                new DenyRuleOptions { Name = "python_students", Pattern = "b", Message = "m", KernelSpecs = { "python3" }, Groups = { "students" } },
                new DenyRuleOptions { Name = "tina_or_students", Pattern = "c", Message = "m", Users = { "tina" }, Groups = { "students" } },
            },
        });

        Assert.Equal(["everyone", "python_students", "tina_or_students"], rules.For("sam", "python3").RuleNames);
        Assert.Equal(["everyone", "tina_or_students"], rules.For("sam", "r").RuleNames);
        Assert.Equal(["everyone", "tina_or_students"], rules.For("tina", "python3").RuleNames);
        Assert.Equal(["everyone"], rules.For("nobody", "python3").RuleNames);
    }

    [Fact]
    public void Check_OversizeCell_IsRefusedAsCodeSizeWithBothSizesInTheCell()
    {
        using AdmissionRules rules = Create(new AdmissionOptions { MaxCodeBytes = 10 });
        CodeAdmission admission = rules.For("sam", "python3");

        Assert.Null(admission.Check(Execute("é = 12345"))); // 10 UTF-8 bytes: at the limit
        ExecutionRefusal refusal = Assert.IsType<ExecutionRefusal>(admission.Check(Execute("é = 123456")));

        Assert.Equal(AdmissionOptions.CodeSizeRule, refusal.Rule);
        Assert.Equal("admission", admission.Limit);
        Assert.Equal("execution refused by rule `code_size`: this cell has 11 bytes of code; the limit is 10 bytes", EValue(refusal));
        Assert.Equal("[execution refused by rule `code_size`: this cell has 11 bytes of code; the limit is 10 bytes]\n", Notice(refusal));
        Assert.Equal([MessageTypes.Status, MessageTypes.Stream, MessageTypes.Status], refusal.IOPub.Select(m => m.MsgType));
    }

    [Fact]
    public void Check_DenyRuleMatch_IsRefusedWithTheRulesNameAndMessage_OtherRequestsPass()
    {
        using AdmissionRules rules = Create(new AdmissionOptions
        {
            DenyRules = { new DenyRuleOptions { Name = "no_socket", Pattern = @"^\s*(import|from)\s+socket\b", Message = "no sockets in this exam" } },
        });
        CodeAdmission admission = rules.For("sam", "python3");

        Assert.Null(admission.Check(Execute("import sockets_helper\nx = 'import socket'")));
        Assert.Null(admission.Check(Request("""{"code":"import socket"}""", MessageTypes.CompleteRequest)));
        ExecutionRefusal refusal = Assert.IsType<ExecutionRefusal>(admission.Check(Execute("x = 1\n  import socket as s")));

        Assert.Equal("no_socket", refusal.Rule);
        Assert.Equal("execution refused by rule `no_socket`: no sockets in this exam", EValue(refusal));
        Assert.Contains("no sockets in this exam", Notice(refusal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"code":"x = 1","code":"import socket"}""")]                                // Python's json keeps the last key
    [InlineData("""{"code":"x = 1","user_expressions":{"e":"__import__('socket')"}}""")]      // the kernel evaluates these too
    [InlineData("""{"\u0063ode":"import socket"}""")]                                          // an escaped key is the same key
    public void Check_CodeAnywhereTheKernelRunsIt_IsChecked(string content)
    {
        using AdmissionRules rules = Create(new AdmissionOptions { DenyRules = { new DenyRuleOptions { Name = "no_socket", Pattern = "socket", Message = "m" } } });

        Assert.Equal("no_socket", rules.For("sam", "python3").Check(Request(content))?.Rule);
    }

    [Theory]
    [InlineData("""{"code":"x = 1","silent":NaN}""")]     // Python's json reads NaN
    [InlineData("""{"code":"\ud800 import socket"}""")]  // and lone surrogates
    [InlineData("""{"code":"x = 1"} {"code":"y"}""")]
    [InlineData("""["code"]""")]
    public void Check_ContentTheGatewayCannotRead_IsRefusedAsMalformed(string content)
    {
        using AdmissionRules rules = Create(new AdmissionOptions());

        Assert.Equal(AdmissionOptions.MalformedRequestRule, rules.For("sam", "python3").Check(Request(content))?.Rule);
    }

    [Fact]
    public void Check_NoLimitAndNoRules_LetsEverythingThroughUnread()
    {
        using AdmissionRules rules = Create(new AdmissionOptions { MaxCodeBytes = 0 });

        Assert.Null(rules.For("sam", "python3").Check(Request("not json")));
    }

    [Fact]
    public void Check_RuleHittingItsTimeout_RefusesTheCellWithinABoundedTime()
    {
        using AdmissionRules rules = Create(new AdmissionOptions
        {
            RegexTimeoutMilliseconds = 50,
            DenyRules = { new DenyRuleOptions { Name = "slow", Pattern = PathologicalPattern, Message = "never shown" } },
        });
        CodeAdmission admission = rules.For("sam", "python3");
        var clock = Stopwatch.StartNew();

        ExecutionRefusal refusal = Assert.IsType<ExecutionRefusal>(admission.Check(Execute("# " + new string('x', 3000))));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}"); // the timeout bounds it, not the pattern
        Assert.Equal("slow", refusal.Rule);
        Assert.Equal("execution refused by rule `slow`: the rule could not be evaluated within 50 ms, so the cell was not run", EValue(refusal));
        Assert.Null(admission.Check(Execute("x = 1"))); // the same rule on ordinary code answers in time
    }

    [Fact]
    public void Metrics_EveryRuleIsExportedAtZeroFromTheStart_AndCountsItsRefusals()
    {
        string rule = "rule_" + Guid.NewGuid().ToString("N"); // unique: other tests' meters share the exporter's prefix
        using var exporter = new PrometheusExporter(new MetricsOptions());
        using AdmissionRules rules = Create(new AdmissionOptions
        {
            RegexTimeoutMilliseconds = 50,
            DenyRules = { new DenyRuleOptions { Name = rule, Pattern = PathologicalPattern + "|forbidden", Message = "m" } },
        });

        string before = exporter.Render();
        Assert.Contains($"\nexecution_refusals_total{{rule=\"{rule}\"}} 0\n", before, StringComparison.Ordinal);
        Assert.Contains($"\nadmission_rule_timeouts_total{{rule=\"{rule}\"}} 0\n", before, StringComparison.Ordinal);
        Assert.Contains("\nexecution_refusals_total{rule=\"code_size\"} ", before, StringComparison.Ordinal);

        CodeAdmission admission = rules.For("sam", "python3");
        Assert.NotNull(admission.Check(Execute("forbidden")));
        Assert.NotNull(admission.Check(Execute(new string('x', 3000))));

        string after = exporter.Render();
        Assert.Contains($"\nexecution_refusals_total{{rule=\"{rule}\"}} 2\n", after, StringComparison.Ordinal);
        Assert.Contains($"\nadmission_rule_timeouts_total{{rule=\"{rule}\"}} 1\n", after, StringComparison.Ordinal);
    }
}
