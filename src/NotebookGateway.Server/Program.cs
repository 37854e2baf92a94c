using NotebookGateway.Server.Hosting;
using NotebookGateway.Server.Security;

// The composition root. Layers, lowest first (a folder uses only folders below it; tests/…/Architecture checks it):
// policies (Configuration, Security, Access, Quotas, RateLimiting, Audit, Metrics, Logging) → Relay → Execution →
// Kernels (registry, starter) → Api → transports (WebSockets, Hubs) with Culling and Web → Hosting → here.

// `NotebookGateway.Server token`: a new user token and the hash to put in gateway.json's Users list.
if (args.Length > 0 && args[0] == "token")
{
    string token = TokenAuthentication.Generate();
    Console.WriteLine($"token:       {token}");
    Console.WriteLine($"TokenSha256: {TokenAuthentication.HashHex(token)}");
    return 0;
}

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = Environment.CurrentDirectory,
    WebRootPath = NotebookGateway.Server.Web.PublicAssets.WebRoot,
});
string configPath = builder.AddGatewayConfiguration();

// Every section is checked before anything starts, and every error is listed at once.
try
{
    IReadOnlyList<string> errors = GatewaySections.Validate(builder.Configuration);
    if (errors.Count > 0)
    {
        Console.Error.WriteLine($"{configPath} is invalid:\n  " + string.Join("\n  ", errors));
        return 2;
    }
}
catch (InvalidOperationException ex)
{
    // A value of the wrong type (e.g. "Listen": 5 or "OutputBytesPerCell": "lots").
    Console.Error.WriteLine($"{configPath} is invalid: {ex.Message}");
    return 2;
}

builder.Services.AddGateway(builder.Configuration);
builder.ListenAsConfigured();
var app = builder.Build();
app.UseGatewayPipeline();
app.MapGatewayEndpoints();
await app.StartAsync();
app.PrintBanner();
await app.WaitForShutdownAsync();
return 0;
