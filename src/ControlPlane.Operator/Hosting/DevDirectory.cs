namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The git-ignored <c>.dev</c> folder of the repository, home of the dev database. Found by walking up
/// from the working directory, then from the executable, to the folder that holds <c>ControlPlane.sln</c>.
/// </summary>
internal static class DevDirectory
{
    public const string OverrideVariable = "CONTROL_PLANE_DEV_DIR";

    public static string? Locate()
    {
        if (Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        foreach (var start in (string[])[Environment.CurrentDirectory, AppContext.BaseDirectory])
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "ControlPlane.sln")))
                {
                    return Path.Combine(directory.FullName, ".dev");
                }
            }
        }

        return null;
    }
}
