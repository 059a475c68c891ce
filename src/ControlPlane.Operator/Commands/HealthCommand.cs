using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Store.Connection;
using ControlPlane.Store.Health;
using Npgsql;

namespace ControlPlane.Operator.Commands;

/// <summary>
/// <c>health</c>: the catalog's operational checks (specification §9). Exit 0 when every check holds,
/// 1 when any fails (each offending tenant is named), 2 when the checks cannot run.
/// </summary>
internal static class HealthCommand
{
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print the report as JSON for machines." };

    // Parsed by the command, not the parser: a bad value must exit 2 ("cannot run"), not the parser's 1.
    private static readonly Option<string> StuckAfterOption = new("--stuck-after")
    {
        Description = "How long a tenant may stay in provisioning before it counts as stuck, e.g. 15m, 2h, 90s, 1d.",
        DefaultValueFactory = _ => "15m",
    };

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var command = new Command("health", "Check the catalog's operational health (exit 0 healthy, 1 unhealthy, 2 cannot run).");
        command.Options.Add(JsonOption);
        command.Options.Add(StuckAfterOption);
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(JsonOption), parse.GetValue(StuckAfterOption), cancellationToken));
        return command;
    }

    /// <summary>Durations as operators write them: 90s, 15m, 2h, 1d; or a .NET TimeSpan such as 00:15:00.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(amount);
                case 'm': return TimeSpan.FromMinutes(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'd': return TimeSpan.FromDays(amount);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero ? span : null;
    }

    internal static int ExitCodeOf(HealthReport report) => report.Healthy ? ExitCodes.Ok : ExitCodes.Failed;

    internal static string FormatText(HealthReport report)
    {
        var lines = new List<string>();
        foreach (var check in report.Checks)
        {
            lines.Add(check.Passed
                ? $"ok    {check.Name}: {check.Description}"
                : $"FAIL  {check.Name}: {check.Description}: {check.Offenders.Count} tenant(s)");
            lines.AddRange(check.Offenders.Select(o => $"        {o.Slug} ({o.TenantId}): {o.Detail}"));
        }

        if (report.SchemaVersions.Count > 0)
        {
            lines.Add("Schema versions (live tenants): " + string.Join(", ", report.SchemaVersions.Select(v =>
                $"{v.Version}: {v.Tenants}" + (v.Misaligned > 0 ? $" ({v.Misaligned} misaligned)" : ""))));
        }

        lines.Add(report.Healthy ? "Catalog healthy." : $"Catalog unhealthy: {report.Checks.Count(c => !c.Passed)} check(s) failed.");
        return string.Join(Environment.NewLine, lines);
    }

    internal static string FormatJson(HealthReport report) => JsonSerializer.Serialize(new
    {
        report.Healthy,
        StuckAfterSeconds = report.StuckAfter.TotalSeconds,
        Checks = report.Checks.Select(c => new
        {
            c.Name,
            c.Description,
            c.Passed,
            Offenders = c.Offenders.Select(o => new { o.TenantId, o.Slug, o.Detail }),
        }),
        SchemaVersions = report.SchemaVersions.Select(v => new { v.Version, v.Tenants, v.Misaligned }),
    }, Json);

    private static async Task<int> RunAsync(bool json, string? stuckAfterText, CancellationToken cancellationToken)
    {
        if (ParseDuration(stuckAfterText ?? "") is not { } stuckAfter)
        {
            await Console.Error.WriteLineAsync($"health could not run: --stuck-after '{stuckAfterText}' is not a duration; use e.g. 15m, 2h, 90s or 1d.");
            return ExitCodes.Error;
        }

        try
        {
            var environment = DeploymentEnvironments.FromProcess();
            await using var database = await CatalogDatabase.OpenAsync(environment, cancellationToken);
            await using var dataSource = database.CreateDataSource();
            var report = await CatalogHealth.CheckAsync(dataSource, stuckAfter, cancellationToken);
            Console.WriteLine(json ? FormatJson(report) : FormatText(report));
            return ExitCodeOf(report);
        }
        catch (Exception e) when (e is ConfigurationException or NpgsqlException or Sandbox.Postgres.EmbeddedPostgresException)
        {
            var reason = e is PostgresException { SqlState: PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.UndefinedFunction } missing
                ? $"{missing.MessageText}; is the catalog migrated? (run `migrate`)"
                : e is PostgresException postgres ? postgres.MessageText : e.Message;
            await Console.Error.WriteLineAsync($"health could not run: {reason}");
            return ExitCodes.Error;
        }
    }
}
