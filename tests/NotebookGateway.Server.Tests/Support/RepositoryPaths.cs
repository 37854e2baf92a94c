namespace NotebookGateway.Server.Tests.Support;

/// <summary>Files of the repository the tests use as they are.</summary>
internal static class RepositoryPaths
{
    public static string Root => TestRepository.Root;

    /// <summary>The build <c>bash scripts/setup.sh</c> makes; the tests run this, never a build of their own.</summary>
    public static string GatewayDll => TestRepository.GatewayDll;

    public static string GatewayJson => TestRepository.GatewayJson;

    public static string JsTests => Path.Combine(Root, "tests", "js");
}
