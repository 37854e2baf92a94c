using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Security;

/// <summary>
/// One user of the <c>Users</c> list in gateway.json. Only the SHA-256 of the token is stored; create a token and its
/// hash with <c>NotebookGateway.Server token</c>. Identity comes from the token alone, never from what a client claims.
/// </summary>
public sealed class UserOptions
{
    public const string Section = "Users";

    public string Name { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the user's token.</summary>
    public string TokenSha256 { get; set; } = "";

    public List<string> Groups { get; set; } = [];
}

/// <summary>Collects every problem of the Users list.</summary>
public sealed partial class UsersValidator
{
    public static IReadOnlyList<string> Validate(IReadOnlyList<UserOptions> users)
    {
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < users.Count; i++)
        {
            UserOptions user = users[i];
            if (!NamePattern().IsMatch(user.Name))
            {
                errors.Add($"Users:{i}:Name '{user.Name}' must be 1-64 letters, digits, '.', '_' or '-'.");
            }
            else if (user.Name == GatewayUser.DefaultName || !names.Add(user.Name))
            {
                errors.Add($"Users:{i}:Name '{user.Name}' is used twice (or is the reserved '{GatewayUser.DefaultName}').");
            }
            if (!HashPattern().IsMatch(user.TokenSha256))
            {
                errors.Add($"Users:{i}:TokenSha256 must be 64 lower-case hex characters (create one with: NotebookGateway.Server token).");
            }
            else if (!hashes.Add(user.TokenSha256))
            {
                errors.Add($"Users:{i}:TokenSha256 is the same as another user's: every user needs a token of their own.");
            }
        }
        return errors;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex HashPattern();
}
