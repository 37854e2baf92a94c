namespace NotebookGateway.Server.Security;

/// <summary>The authenticated user of a request, set by the token check. Never taken from anything the client claims.</summary>
public static class GatewayUser
{
    public const string DefaultName = "default";
    private const string ItemKey = "notebookgateway.user";

    /// <summary>The claim type of <see cref="HttpContext.User"/> that carries the user name (SignalR hubs read it from there).</summary>
    public const string ClaimType = "notebookgateway:user";

    public static void Set(HttpContext context, string user)
    {
        context.Items[ItemKey] = user;
        // SignalR copies HttpContext.User (not Items) into every transport's connection, long polling included.
        context.User = new System.Security.Claims.ClaimsPrincipal(
            new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim(ClaimType, user)], authenticationType: "token"));
    }

    public static string Get(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out object? user) && user is string name ? name : throw new InvalidOperationException("The request was not authenticated.");
}
