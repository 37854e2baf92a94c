using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace NotebookGateway.Server.Security;

/// <summary>
/// Checks <c>Authorization: token &lt;t&gt;</c> or <c>?token=</c> (the query wins, as in Kernel Gateway)
/// in constant time. OPTIONS passes without a token so CORS preflight works.
/// </summary>
public sealed class TokenAuthentication(string token)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public string Token => token;

    public bool IsAuthorized(HttpRequest request)
    {
        string? presented = PresentedToken(request);
        if (presented is null)
        {
            return false;
        }
        // Comparing fixed-length hashes keeps the time independent of where the strings differ and of their length.
        return CryptographicOperations.FixedTimeEquals(_expected, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
    }

    public static string? PresentedToken(HttpRequest request)
    {
        if (request.Query.TryGetValue("token", out StringValues query) && !StringValues.IsNullOrEmpty(query))
        {
            return query.ToString();
        }
        string? header = request.Headers.Authorization;
        if (header is not null && header.StartsWith("token ", StringComparison.OrdinalIgnoreCase))
        {
            return header["token ".Length..].Trim();
        }
        return null;
    }

    public static string Generate() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
