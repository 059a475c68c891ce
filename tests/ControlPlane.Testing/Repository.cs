namespace ControlPlane.Testing;

/// <summary>Paths inside the repository checkout, found from the test binary's folder.</summary>
public static class Repository
{
    public static string Path(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "ControlPlane.sln")))
            {
                return System.IO.Path.Combine([directory.FullName, .. parts]);
            }
        }

        throw new DirectoryNotFoundException("The repository root (ControlPlane.sln) was not found above the test binaries.");
    }
}
