using NotebookGateway.Server.Admission;

namespace NotebookGateway.Server.Tests.Admission;

public sealed class AdmissionOptionsTests
{
    [Fact]
    public void Validate_Defaults_HaveNoErrorsAndAMebibyteLimit()
    {
        var options = new AdmissionOptions();

        Assert.Empty(options.Validate());
        Assert.Equal(1024 * 1024, options.MaxCodeBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.RegexTimeout);
    }

    [Fact]
    public void Validate_BadRules_ListsEveryErrorWithItsPath()
    {
        var options = new AdmissionOptions
        {
            MaxCodeBytes = -1,
            MaxCodeBytesPerGroup = { ["students"] = -5 },
            RegexTimeoutMilliseconds = 0,
            DenyRules =
            {
                new DenyRuleOptions { Name = "no_socket", Pattern = "import socket", Message = "no sockets" },
                new DenyRuleOptions { Name = "no_socket", Pattern = "(unclosed", Message = "twice" },
                new DenyRuleOptions { Name = "Bad Name", Pattern = "x", Message = "" },
                new DenyRuleOptions { Name = AdmissionOptions.CodeSizeRule, Pattern = "", Message = "reserved", Groups = { " " } },
            },
        };

        IReadOnlyList<string> errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("Admission:MaxCodeBytes must be 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Admission:MaxCodeBytesPerGroup:students", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Admission:RegexTimeoutMilliseconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Admission:DenyRules:1:Name 'no_socket' is used twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Admission:DenyRules:1:Pattern is not a valid regular expression", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Admission:DenyRules:2:Name 'Bad Name' must be", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Admission:DenyRules:2:Message is empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Admission:DenyRules:3:Name 'code_size' is used twice (or is the reserved", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Admission:DenyRules:3:Pattern is empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Admission:DenyRules:3: an empty name", StringComparison.Ordinal));
        Assert.Equal(10, errors.Count);
    }
}
