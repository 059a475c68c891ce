using ControlPlane.Core.Configuration;
using Npgsql;

namespace ControlPlane.Store.Connection;

/// <summary>
/// How a PostgreSQL connection is protected: libpq's <c>sslmode</c> and the CA bundle the server's certificate must chain
/// to (<c>sslrootcert</c>; null means the system's trust store). One record for the catalog, every tenant database server
/// and the DSN the resolver hands to the application, so all three connect the same way.
/// </summary>
public sealed record DatabaseTls(SslMode Mode, string? RootCertificate)
{
    /// <summary>What outside dev means when nothing is said: encrypted, the chain verified, and the host name checked.</summary>
    public static DatabaseTls VerifyFull { get; } = new(SslMode.VerifyFull, null);

    /// <summary>Modes that allow an unencrypted connection: refused outside <c>ENVIRONMENT=dev</c>.</summary>
    public static bool AllowsPlaintext(SslMode mode) => mode is SslMode.Disable or SslMode.Allow or SslMode.Prefer;

    /// <summary>libpq's spelling (<c>verify-full</c>), as the documentation and the resolver's answer use it.</summary>
    public string ModeName => Name(Mode);

    /// <summary>Sets the mode and, when given, the root certificate; nothing else of <paramref name="builder"/> changes.</summary>
    public NpgsqlConnectionStringBuilder ApplyTo(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.SslMode = Mode;
        if (RootCertificate is not null)
        {
            builder.RootCertificate = RootCertificate;
        }

        return builder;
    }

    /// <summary>
    /// Reads a setting pair (<paramref name="mode"/> in libpq or Npgsql spelling, <paramref name="rootCertificate"/> a PEM
    /// file) with the environment's default and rules; every problem is added to <paramref name="problems"/> under
    /// <paramref name="setting"/>.
    /// </summary>
    public static DatabaseTls? Read(string? mode, string? rootCertificate, DeploymentEnvironment environment, string setting, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        SslMode parsed;
        if (string.IsNullOrWhiteSpace(mode))
        {
            // Dev talks to the embedded loopback server, which has no certificate; everywhere else verify everything.
            parsed = environment == DeploymentEnvironment.Dev ? SslMode.Prefer : SslMode.VerifyFull;
        }
        else if (!TryParse(mode, out parsed))
        {
            problems.Add($"{setting}: SslMode '{mode}' is not one of disable, allow, prefer, require, verify-ca, verify-full.");
            return null;
        }

        if (environment != DeploymentEnvironment.Dev && AllowsPlaintext(parsed))
        {
            problems.Add($"{setting}: SslMode {Name(parsed)} allows an unencrypted connection; outside ENVIRONMENT=dev use verify-full (or verify-ca, require).");
            return null;
        }

        var root = string.IsNullOrWhiteSpace(rootCertificate) ? null : rootCertificate.Trim();
        if (root is not null && !File.Exists(root))
        {
            problems.Add($"{setting}: RootCertificate '{root}' does not exist (mount the CA bundle there).");
            return null;
        }

        return new DatabaseTls(parsed, root);
    }

    /// <summary>
    /// The catalog's rules for <c>CONTROL_PLANE_DATABASE_URL</c> (its <c>sslmode</c> and <c>sslrootcert</c> query
    /// parameters): outside dev an unset mode becomes verify-full, and a mode that allows plaintext is refused.
    /// </summary>
    public static NpgsqlConnectionStringBuilder ApplyCatalogRules(NpgsqlConnectionStringBuilder builder, DeploymentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (environment == DeploymentEnvironment.Dev)
        {
            return builder;
        }

        // Only keywords that were set appear in ConnectionString: this tells "unset" from an explicit prefer.
        var explicitMode = builder.ConnectionString.Contains("SSL Mode", StringComparison.OrdinalIgnoreCase);
        var problems = new List<string>();
        Read(explicitMode ? Name(builder.SslMode) : null, builder.RootCertificate, environment, DatabaseUrl.VariableName, problems)?.ApplyTo(builder);
        return problems.Count == 0 ? builder : throw new ConfigurationException(string.Join(" ", problems).Replace("SslMode", "sslmode", StringComparison.Ordinal));
    }

    public static bool TryParse(string text, out SslMode mode)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = text.Trim().Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        return Enum.TryParse(normalized, ignoreCase: true, out mode) && Enum.IsDefined(mode);
    }

    public static string Name(SslMode mode) => mode switch
    {
        SslMode.VerifyCA => "verify-ca",
        SslMode.VerifyFull => "verify-full",
        _ => mode.ToString().ToLowerInvariant(),
    };
}
