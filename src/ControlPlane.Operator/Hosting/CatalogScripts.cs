namespace ControlPlane.Operator.Hosting;

/// <summary>Where the catalog migrations ship: <c>sql/control_plane</c> beside the executable (copied at build).</summary>
internal static class CatalogScripts
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "sql", "control_plane");
}
