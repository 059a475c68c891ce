using System.CommandLine;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Store.Connection;
using ControlPlane.Store.Events;
using ControlPlane.Store.Migrations;
using ControlPlane.Store.Preflight;
using Npgsql;

namespace ControlPlane.Operator.Commands;

/// <summary><c>migrate</c>: preflight, then apply the catalog migrations; a second run applies nothing and says so.</summary>
internal static class MigrateCommand
{
    private static readonly Option<bool> CreateDatabaseOption = new("--create-database")
    {
        Description = "Create the catalog database (platform_admin) when it does not exist.",
    };

    public static Command Create()
    {
        var command = new Command("migrate", "Apply the control-plane catalog migrations (idempotent).");
        command.Options.Add(CreateDatabaseOption);
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(CreateDatabaseOption), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(bool createDatabase, CancellationToken cancellationToken)
    {
        try
        {
            var environment = DeploymentEnvironments.FromProcess();
            await using var database = await CatalogDatabase.OpenAsync(environment, cancellationToken);
            if (createDatabase && await database.EnsureDatabaseExistsAsync(cancellationToken))
            {
                Console.WriteLine($"Created database {database.Connection.Database}.");
            }

            await using var dataSource = database.CreateDataSource();
            var facts = await PostgresPreflight.CheckAsync(dataSource, cancellationToken);
            Console.WriteLine($"Preflight passed: PostgreSQL {facts.Version} with pgcrypto at {database.Description}.");

            var report = await CatalogMigrator.MigrateAsync(dataSource, CatalogScripts.Directory, _ => { }, cancellationToken);
            Console.WriteLine(report.Applied == 0
                ? $"Catalog is up to date at version {report.Version}; nothing applied."
                : $"Applied {report.Applied} migration(s); catalog is now at version {report.Version}.");
            // The operator's leader keeps months ahead too; migrate makes sure a catalog is writable before it starts.
            var created = await new EventPartitions(dataSource).CreateAheadAsync(TimeProvider.System.GetUtcNow(), EventPartitions.DefaultMonthsAhead, cancellationToken);
            if (created.Count > 0)
            {
                Console.WriteLine($"Created event partitions {string.Join(", ", created)}.");
            }

            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is ConfigurationException or PreflightException or NpgsqlException or DirectoryNotFoundException
                                      or Sandbox.Postgres.EmbeddedPostgresException or EvolveDb.EvolveException)
        {
            await Console.Error.WriteLineAsync($"migrate failed: {e.Message}");
            return ExitCodes.Error;
        }
    }
}
