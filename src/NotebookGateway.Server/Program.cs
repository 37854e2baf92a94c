using Microsoft.Extensions.Options;
using NotebookGateway.Server.Api;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Security;

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// gateway.json from the working directory (the repository root when started by scripts/up.sh), or --config.
string configPath = builder.Configuration["config"] ?? Path.Combine(Environment.CurrentDirectory, "gateway.json");
builder.Configuration.AddJsonFile(configPath, optional: false, reloadOnChange: false);
builder.Configuration.AddEnvironmentVariables("NBGW_");
builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section)).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();

GatewayOptions gateway = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
var validation = new GatewayOptionsValidator().Validate(null, gateway);
if (validation.Failed)
{
    Console.Error.WriteLine("gateway.json is invalid:\n  " + string.Join("\n  ", validation.Failures));
    return 2;
}
var auth = new TokenAuthentication(string.IsNullOrEmpty(gateway.Token) ? TokenAuthentication.Generate() : gateway.Token);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(gateway.ListenEndPoint));

var app = builder.Build();
app.UsePathBase(gateway.BaseUrl.TrimEnd('/'));
app.Use(async (context, next) =>
{
    if (!HttpMethods.IsOptions(context.Request.Method) && !auth.IsAuthorized(context.Request))
    {
        await JsonErrors.Create(StatusCodes.Status401Unauthorized, "Unauthorized").ExecuteAsync(context);
        return;
    }
    await next(context);
});
app.MapGet("/api", () => Results.Json(new VersionBody(typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.1.0"), ApiJsonContext.Default.VersionBody));
app.MapFallback(() => JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found"));

await app.StartAsync();
string url = $"http://{gateway.Listen}{gateway.BaseUrl}";
Console.WriteLine($"NotebookGateway is listening on {url}");
Console.WriteLine($"Token: {auth.Token}");
Console.WriteLine($"Try:   curl -H 'Authorization: token {auth.Token}' {url}api");
await app.WaitForShutdownAsync();
return 0;
