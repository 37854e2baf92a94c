using NotebookGateway.Server.Hubs;

namespace NotebookGateway.Server.Tests.Hubs;

public sealed class KernelHubOptionsTests
{
    [Fact]
    public void Validate_AcceptsExactOrigins_AndTheDefaults()
    {
        var validator = new KernelHubOptionsValidator();

        Assert.True(validator.Validate(null, new KernelHubOptions()).Succeeded);
        Assert.True(validator.Validate(null, new KernelHubOptions { AllowOrigins = ["https://docs.example", "http://localhost:3000"] }).Succeeded);
    }

    [Fact]
    public void Validate_RefusesWildcardsPathsAndNonHttpOrigins_ListingEach()
    {
        var options = new KernelHubOptions { AllowOrigins = ["*", "https://docs.example/page", "ftp://files.example", "docs.example", "https://docs.example/"] };

        IReadOnlyList<string> failures = [.. new KernelHubOptionsValidator().Validate(null, options).Failures ?? []];

        Assert.Equal(5, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Hub:AllowOrigins:0 '*' is not allowed", StringComparison.Ordinal));
        for (int i = 1; i < 5; i++)
        {
            Assert.Contains(failures, f => f.StartsWith($"Hub:AllowOrigins:{i} ", StringComparison.Ordinal) && f.Contains("is not an origin", StringComparison.Ordinal));
        }
    }
}
