namespace NotebookGateway.Server.Security;

/// <summary>The authenticated user of a request, set by the token check. Never taken from anything the client claims.</summary>
public static class GatewayUser
{
    public const string DefaultName = "default";
    private const string ItemKey = "notebookgateway.user";

    public static void Set(HttpContext context, string user) => context.Items[ItemKey] = user;

    public static string Get(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out object? user) && user is string name ? name : throw new InvalidOperationException("The request was not authenticated.");
}
