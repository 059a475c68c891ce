namespace ControlPlane.Sandbox.KubeApi.Resources;

/// <summary>Finds the repository's <c>config/crds</c> by walking up from a directory to the one holding ControlPlane.sln.</summary>
internal static class RepositoryCrds
{
    public static string? FindRepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ControlPlane.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    public static string? FindDirectory(string start) =>
        FindRepositoryRoot(start) is { } root ? Path.Combine(root, "config", "crds") : null;
}
