using ControlPlane.Core.Configuration;
using Npgsql;

namespace ControlPlane.Store.Connection;

/// <summary>
/// Reads <c>CONTROL_PLANE_DATABASE_URL</c> in every form the specification and operators use:
/// <c>postgresql+psycopg://</c> (the specification's SQLAlchemy form), <c>postgresql://</c>,
/// <c>postgres://</c>, and Npgsql keyword strings. Errors never echo the password.
/// </summary>
public static class DatabaseUrl
{
    public const string VariableName = "CONTROL_PLANE_DATABASE_URL";
    public const string DefaultDatabase = "platform_admin";

    private static readonly string[] Schemes = ["postgresql+psycopg", "postgresql", "postgres"];

    public static NpgsqlConnectionStringBuilder Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ConfigurationException($"{VariableName} is empty.");
        }

        var trimmed = value.Trim();
        return trimmed.Contains("://", StringComparison.Ordinal) ? ParseUrl(trimmed) : ParseKeywords(trimmed);
    }

    /// <summary>The same connection described without its password, for logs and error messages.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";

    private static NpgsqlConnectionStringBuilder ParseUrl(string value)
    {
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        var scheme = value[..schemeEnd].ToLowerInvariant();
        if (!Schemes.Contains(scheme))
        {
            throw Invalid($"scheme '{Truncate(scheme)}' is not supported; use postgresql://, postgres:// or postgresql+psycopg://");
        }

        // System.Uri does not know these schemes' defaults; normalise to one it parses generically.
        if (!Uri.TryCreate("postgresql://" + value[(schemeEnd + 3)..], UriKind.Absolute, out var uri))
        {
            throw Invalid("it is not a well-formed URL (expected postgresql://user:password@host:5432/platform_admin)");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid("the host is missing");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = Unescape(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : DefaultDatabase,
        };

        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Unescape(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Unescape(uri.UserInfo[(colon + 1)..]);
            }
        }

        foreach (var (key, parameter) in QueryParameters(uri.Query))
        {
            ApplyQueryParameter(builder, key, parameter);
        }

        return builder;
    }

    private static NpgsqlConnectionStringBuilder ParseKeywords(string value)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException)
        {
            // The framework's message may quote the offending value, which could be a password.
            throw Invalid("it is neither a URL nor a valid Npgsql keyword string (Host=…;Port=…;Username=…;Database=…)");
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw Invalid("the keyword string has no Host");
        }

        if (string.IsNullOrEmpty(builder.Database))
        {
            builder.Database = DefaultDatabase;
        }

        return builder;
    }

    private static void ApplyQueryParameter(NpgsqlConnectionStringBuilder builder, string key, string value)
    {
        if (key.Equals("password", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("put the password in the URL's user info, not in the query string");
        }

        var keyword = key.ToLowerInvariant() switch
        {
            "sslmode" => "SSL Mode",
            "application_name" => "Application Name",
            "connect_timeout" => "Timeout",
            "options" => "Options",
            "target_session_attrs" => "Target Session Attributes",
            "sslrootcert" => "Root Certificate",
            _ => key,
        };

        // libpq spells the modes with a hyphen (verify-full, verify-ca); Npgsql's enum names have none.
        if (keyword == "SSL Mode")
        {
            value = value.Replace("-", string.Empty, StringComparison.Ordinal);
        }

        try
        {
            builder[keyword] = value;
        }
        catch (ArgumentException)
        {
            throw Invalid($"the query parameter '{Truncate(key)}' is not supported or has an invalid value");
        }
    }

    private static IEnumerable<(string Key, string Value)> QueryParameters(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            yield return eq < 0 ? (Unescape(pair), "true") : (Unescape(pair[..eq]), Unescape(pair[(eq + 1)..]));
        }
    }

    private static string Unescape(string value) => Uri.UnescapeDataString(value);

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";

    private static ConfigurationException Invalid(string why) =>
        new($"{VariableName} is invalid: {why}. The value is not shown because it may contain a password.");
}
