using System.CommandLine;
using System.Text.Json;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Audit;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Connection;
using Npgsql;

namespace ControlPlane.Operator.Commands;

/// <summary>
/// <c>audit</c>: compares the catalog (live and deleted rows), every configured tenant server's databases and roles (by
/// their ownership marks), the Tenants and the generated secrets, and lists each orphan and mismatch with a suggested
/// action (docs/audit.md). Changes nothing. Exit 0 no problem (notices such as retained data allowed), 1 problems found,
/// 2 cannot run.
/// </summary>
internal static class AuditCommand
{
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print the findings as JSON for machines." };

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var command = new Command("audit", "Compare the catalog, the tenant servers, the Tenants and the generated secrets; list orphans and mismatches (exit 0 none, 1 found, 2 cannot run). Changes nothing.");
        command.Options.Add(JsonOption);
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(JsonOption), cancellationToken));
        return command;
    }

    internal static int ExitCodeOf(AuditReport report) => report.Clean ? ExitCodes.Ok : ExitCodes.Failed;

    internal static string FormatText(AuditReport report)
    {
        var lines = new List<string>();
        foreach (var finding in report.Findings)
        {
            lines.Add($"{(finding.IsProblem ? "FOUND " : "notice")}  {finding.Kind}: {finding.Subject}{(finding.TenantId is { } id ? $" (tenant {id})" : "")}");
            lines.Add($"        {finding.Detail}");
            lines.Add($"        suggested: {finding.Action}");
        }

        lines.Add($"Compared {report.LiveRows} live and {report.DeletedRows} deleted catalog rows, {report.Servers} tenant server(s), {report.Tenants} Tenant(s).");
        if (report.NotChecked is { } notChecked)
        {
            lines.Add($"Not checked: {notChecked}.");
        }

        var problems = report.Findings.Count(f => f.IsProblem);
        lines.Add(problems == 0
            ? $"Estate consistent{(report.Findings.Count > 0 ? $" ({report.Findings.Count} notice(s))" : "")}. Nothing was changed."
            : $"Estate audit: {problems} problem(s). Nothing was changed.");
        return string.Join(Environment.NewLine, lines);
    }

    internal static string FormatJson(AuditReport report) => JsonSerializer.Serialize(new
    {
        report.Clean,
        report.LiveRows,
        report.DeletedRows,
        report.Servers,
        report.Tenants,
        report.NotChecked,
        Findings = report.Findings.Select(f => new { f.Kind, Problem = f.IsProblem, f.Subject, f.TenantId, f.Detail, f.Action }),
    }, Json);

    private static async Task<int> RunAsync(bool json, CancellationToken cancellationToken)
    {
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var environment = DeploymentEnvironments.FromProcess();
            var options = OperatorOptionsLoader.Load(configuration, environment, Environment.GetEnvironmentVariable);
            using var kubernetes = KubernetesClientFactory.Create(KubernetesClientFactory.RequireForCommand(environment));

            await using var database = await CatalogDatabase.OpenAsync(environment, cancellationToken);
            RunCommand.UseEmbeddedTenantServer(environment, database, options);
            await using var dataSource = database.CreateDataSource();
            await using var services = new ServiceCollection().AddLogging().AddSingleton(kubernetes)
                .AddSecretStores(configuration).BuildServiceProvider();
            var secrets = services.GetRequiredService<ISecretStore>();
            await using var servers = new TenantDatabaseServers(options.TenantDatabaseServers, secrets);
            var observer = EstateAudits.Observer(
                new TenantCatalog(dataSource), servers, secrets, TenantBoundaries.Namespaces(options),
                EstateObserver.Listing(new KubernetesResourceClient<Tenant>(kubernetes, TenantOperator.Resource), options.Namespaces),
                services, kubernetes);
            var report = EstateAudit.Compare(await observer.ObserveAsync(cancellationToken));
            Console.WriteLine(json ? FormatJson(report) : FormatText(report));
            return ExitCodeOf(report);
        }
        catch (Exception e) when (e is ConfigurationException or NpgsqlException or k8s.Exceptions.KubeConfigException or HttpRequestException
                                      or k8s.Autorest.HttpOperationException or Microsoft.Extensions.Options.OptionsValidationException
                                      or SecretStoreException or Sandbox.Postgres.EmbeddedPostgresException)
        {
            var reason = e is PostgresException { SqlState: PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.UndefinedTable } missing
                ? $"{missing.MessageText}; is the catalog migrated? (run `migrate`)"
                : e is PostgresException postgres ? postgres.MessageText : e.Message;
            await Console.Error.WriteLineAsync($"audit could not run: {reason}");
            return ExitCodes.Error;
        }
    }
}
