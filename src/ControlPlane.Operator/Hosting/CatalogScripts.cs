namespace ControlPlane.Operator.Hosting;

/// <summary>Where the SQL migrations ship: <c>sql/</c> beside the executable (copied at build, carried by the image).</summary>
internal static class CatalogScripts
{
    /// <summary>The control-plane catalog's migrations.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "sql", "control_plane");

    /// <summary>The tenant databases' schema migrations, unless configured elsewhere.</summary>
    public static string TenantDirectory(OperatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.TenantMigrationsPath ?? Path.Combine(AppContext.BaseDirectory, "sql", "tenant");
    }
}
