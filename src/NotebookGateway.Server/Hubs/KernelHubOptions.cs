using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Hubs;

/// <summary>The <c>Hub</c> section of gateway.json: the SignalR hub at <c>{BaseUrl}hubs/kernels</c>.</summary>
public sealed class KernelHubOptions
{
    public const string Section = "Hub";

    /// <summary>Whether the hub is mapped at all (off: its path is a 404 like any unknown route).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Exact origins (<c>https://site.example</c>) whose pages may use the hub; empty = same origin only. No <c>*</c>:
    /// the token travels with every request, so a page must be named to be trusted.
    /// </summary>
    public List<string> AllowOrigins { get; set; } = [];
}

/// <summary>Collects every problem of the Hub section.</summary>
public sealed class KernelHubOptionsValidator : IValidateOptions<KernelHubOptions>
{
    public ValidateOptionsResult Validate(string? name, KernelHubOptions options)
    {
        var errors = new List<string>();
        for (int i = 0; i < options.AllowOrigins.Count; i++)
        {
            string origin = options.AllowOrigins[i];
            if (origin == "*")
            {
                errors.Add($"Hub:AllowOrigins:{i} '*' is not allowed: list each origin whose pages may use the hub.");
            }
            else if (!IsOrigin(origin))
            {
                errors.Add($"Hub:AllowOrigins:{i} '{origin}' is not an origin (scheme://host[:port], http or https, no path).");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out Uri? uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.UserInfo)
        && uri.Query.Length == 0 && uri.Fragment.Length == 0
        && value.TrimEnd('/').Length == value.Length
        && uri.AbsolutePath == "/";
}
