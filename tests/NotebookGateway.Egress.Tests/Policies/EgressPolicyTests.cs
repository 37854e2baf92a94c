using System.Net;
using NotebookGateway.Egress.Options;
using NotebookGateway.Egress.Policies;

namespace NotebookGateway.Egress.Tests.Policies;

public sealed class EgressPolicyTests
{
    private static EgressPolicy Policy(params string[] destinations) =>
        new EgressOptions { Policies = { ["p"] = new EgressPolicyOptions { Destinations = [.. destinations] } } }.Resolve("p")!;

    [Theory]
    [InlineData("pypi.org", "pypi.org", null, false, null)]
    [InlineData("PyPI.org.:443", "pypi.org", 443, false, null)]
    [InlineData("*.pythonhosted.org", "pythonhosted.org", null, true, null)]
    [InlineData("localhost:8080", "localhost", 8080, false, null)]
    [InlineData("127.0.0.1:8080", null, 8080, false, "127.0.0.1")]
    [InlineData("[::1]:8080", null, 8080, false, "::1")]
    [InlineData("::1", null, null, false, "::1")]
    [InlineData("[::ffff:10.0.0.1]", null, null, false, "10.0.0.1")]
    public void TryParse_Entries(string entry, string? host, int? port, bool suffix, string? address)
    {
        var parsed = EgressDestination.TryParse(entry, out var error);

        Assert.Null(error);
        Assert.NotNull(parsed);
        Assert.Equal(host, parsed.HostName);
        Assert.Equal(port, parsed.Port);
        Assert.Equal(suffix, parsed.IsSuffix);
        Assert.Equal(address, parsed.Address?.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("pypi.org:0")]
    [InlineData("pypi.org:70000")]
    [InlineData("pypi.org:https")]
    [InlineData("http://pypi.org")]
    [InlineData("*.")]
    [InlineData("a..b")]
    [InlineData("-bad.org")]
    [InlineData("[::1")]
    [InlineData("[::1]x")]
    [InlineData("user@host.org")]
    [InlineData("10.0.0.0/8")]
    public void TryParse_NotADestination_Error(string entry)
    {
        Assert.Null(EgressDestination.TryParse(entry, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void AllowsTarget_NamesSuffixesAndPorts()
    {
        var policy = Policy("pypi.org", "*.pythonhosted.org", "api.example.com:8443", "127.0.0.1:9000");

        Assert.True(policy.AllowsTarget("pypi.org", 443));
        Assert.True(policy.AllowsTarget("PYPI.ORG.", 80));
        Assert.False(policy.AllowsTarget("pypi.org", 22));              // default ports only: 80, 443
        Assert.False(policy.AllowsTarget("evil-pypi.org", 443));
        Assert.False(policy.AllowsTarget("pypi.org.evil.com", 443));
        Assert.True(policy.AllowsTarget("files.pythonhosted.org", 443));
        Assert.True(policy.AllowsTarget("a.b.pythonhosted.org", 443));
        Assert.False(policy.AllowsTarget("pythonhosted.org", 443));     // a suffix is not the name itself
        Assert.False(policy.AllowsTarget("xpythonhosted.org", 443));
        Assert.True(policy.AllowsTarget("api.example.com", 8443));
        Assert.False(policy.AllowsTarget("api.example.com", 443));
        Assert.True(policy.AllowsTarget("127.0.0.1", 9000));
        Assert.False(policy.AllowsTarget("127.0.0.1", 9001));
        Assert.False(policy.AllowsTarget("127.0.0.2", 9000));
        Assert.False(policy.AllowsTarget("1.1.1.1", 443));              // a literal must itself be listed
    }

    [Fact]
    public void AllowsConnect_PublicOrListedAddressOnly()
    {
        var policy = Policy("pypi.org", "127.0.0.1:9000", "[::1]:9000");

        Assert.True(policy.AllowsConnect(IPAddress.Parse("151.101.0.223"), 443));
        Assert.False(policy.AllowsConnect(IPAddress.Parse("10.0.0.1"), 443));
        Assert.False(policy.AllowsConnect(IPAddress.Parse("169.254.169.254"), 80));
        Assert.True(policy.AllowsConnect(IPAddress.Parse("127.0.0.1"), 9000));
        Assert.True(policy.AllowsConnect(IPAddress.Parse("::ffff:127.0.0.1"), 9000));
        Assert.False(policy.AllowsConnect(IPAddress.Parse("127.0.0.1"), 9001));
        Assert.True(policy.AllowsConnect(IPAddress.Parse("::1"), 9000));
    }

    [Fact]
    public void Resolve_LimitsFromThePolicyElseTheSection_NoneIsNull()
    {
        var options = new EgressOptions
        {
            MaxConnections = 7,
            Policies = { ["p"] = new EgressPolicyOptions { Destinations = ["pypi.org"], MaxBytesDown = 5, DefaultPorts = [443] } },
        };

        var policy = options.Resolve("p")!;

        Assert.Equal(7, policy.Limits.MaxConnections);
        Assert.Equal(5, policy.Limits.MaxBytesDown);
        Assert.Equal(options.MaxBytesUp, policy.Limits.MaxBytesUp);
        Assert.False(policy.AllowsTarget("pypi.org", 80));
        Assert.Null(options.Resolve("none"));
        Assert.Null(options.Resolve(null));
        Assert.Throws<KeyNotFoundException>(() => options.Resolve("other"));
    }
}
