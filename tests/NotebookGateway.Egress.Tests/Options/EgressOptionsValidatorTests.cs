using NotebookGateway.Egress.Options;

namespace NotebookGateway.Egress.Tests.Options;

public sealed class EgressOptionsValidatorTests
{
    [Fact]
    public void Collect_Defaults_NoErrors() => Assert.Empty(EgressOptionsValidator.Collect(new EgressOptions()));

    [Fact]
    public void Collect_EveryProblem_Listed()
    {
        var options = new EgressOptions
        {
            MaxConnections = 0,
            BufferBytes = 10,
            Policies =
            {
                ["none"] = new EgressPolicyOptions { Destinations = ["pypi.org"] },
                ["empty"] = new EgressPolicyOptions(),
                ["bad"] = new EgressPolicyOptions { Destinations = ["http://pypi.org"], MaxBytesDown = -1 },
            },
            Groups = { ["g"] = new Dictionary<string, string> { ["*"] = "undefined" } },
            Users = { ["u"] = new Dictionary<string, string> { ["python3"] = "none" } },
        };

        var errors = EgressOptionsValidator.Collect(options);

        Assert.Contains(errors, e => e.StartsWith("Egress:MaxConnections", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Egress:BufferBytes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'none' is built in", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Egress:Policies:empty:Destinations must list", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Egress:Policies:bad:Destinations: 'http://pypi.org'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Egress:Policies:bad:MaxBytesDown", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Egress:Groups:g:*: 'undefined' is not a defined policy", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.StartsWith("Egress:Users", StringComparison.Ordinal)); // none is always allowed
        Assert.Equal(7, errors.Count);
    }
}
