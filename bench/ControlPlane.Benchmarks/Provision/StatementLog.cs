using System.Text;
using System.Text.RegularExpressions;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// Statements PostgreSQL itself logged (<c>log_statement</c>), read from the server log after a byte offset. The
/// benchmark sets <c>log_line_prefix</c> to <see cref="LinePrefix"/> so each entry names its database and user.
/// </summary>
internal static partial class StatementLog
{
    public const string LinePrefix = "%m [%p] db=%d,user=%u ";

    public static long EndOffset(string path) => new FileInfo(path).Length;

    /// <summary>Logged statements after <paramref name="offset"/>; a statement's continuation lines are joined.</summary>
    public static List<LoggedStatement> ReadFrom(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var statements = new List<LoggedStatement>();
        StringBuilder? text = null;
        string? database = null;
        string? user = null;
        void Flush()
        {
            if (text is not null)
            {
                statements.Add(new LoggedStatement(database!, user!, Whitespace().Replace(text.ToString(), " ").Trim()));
            }

            text = null;
        }

        while (reader.ReadLine() is { } line)
        {
            var entry = Entry().Match(line);
            if (entry.Success)
            {
                Flush();
                var statement = Statement().Match(entry.Groups["message"].Value);
                if (statement.Success)
                {
                    database = entry.Groups["db"].Value;
                    user = entry.Groups["user"].Value;
                    text = new StringBuilder(statement.Groups["sql"].Value);
                }
            }
            else if (text is not null)
            {
                text.Append(' ').Append(line);
            }
        }

        Flush();
        return statements;
    }

    /// <summary>Logins the server accepted after <paramref name="offset"/> (<c>log_connections</c>): database and user of each.</summary>
    public static List<(string Database, string User)> LoginsFrom(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var logins = new List<(string, string)>();
        while (reader.ReadLine() is { } line)
        {
            if (Entry().Match(line) is { Success: true } entry && Login().IsMatch(entry.Groups["message"].Value))
            {
                logins.Add((entry.Groups["db"].Value, entry.Groups["user"].Value));
            }
        }

        return logins;
    }

    [GeneratedRegex(@"^LOG:\s+connection authorized: ")]
    private static partial Regex Login();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] db=(?<db>[^,]*),user=(?<user>\S*) (?<message>.*)$")]
    private static partial Regex Entry();

    // Simple protocol ("statement: …") and extended protocol ("execute <unnamed>: …"); DETAIL lines are not statements.
    [GeneratedRegex(@"^LOG:\s+(?:statement|execute [^:]+): (?<sql>.*)$")]
    private static partial Regex Statement();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

internal sealed record LoggedStatement(string Database, string User, string Sql);
