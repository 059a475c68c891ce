using System.CommandLine;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Resolver;
using ControlPlane.Store.Connection;
using ControlPlane.Store.Migrations;
using ControlPlane.Store.Preflight;
using Npgsql;

namespace ControlPlane.Operator.Commands;

/// <summary><c>run</c> (the default): the operator process with its HTTP endpoints.</summary>
internal static class RunCommand
{
    public static readonly Option<int> PortOption = new("--port")
    {
        Description = "HTTP port for /healthz, /readyz and /metrics (the resolver listens on RESOLVER_PORT, default 8443).",
        DefaultValueFactory = _ => 8080,
        Recursive = true,
    };

    public static Command Create()
    {
        var command = new Command("run", "Run the operator (the default when no command is given).");
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(PortOption), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            var environment = DeploymentEnvironments.FromProcess();

            // Options first: a bad setting fails in milliseconds, before any database or API server is touched.
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var options = OperatorOptionsLoader.Load(configuration, environment, Environment.GetEnvironmentVariable);
            var resolverListener = ResolverConfiguration.ReadListener(configuration, environment);
            ResolverConfiguration.ReadEndpoint(configuration);
            await using var database = await CatalogDatabase.OpenAsync(environment, cancellationToken);
            if (environment == DeploymentEnvironment.Dev && database.IsEmbedded && options.TenantDatabaseServers.Count == 0)
            {
                // Zero set-up in dev: tenant databases go to the embedded server too, as its trusted loopback superuser.
                options.TenantDatabaseServers["default"] = new TenantDatabaseServerOptions
                {
                    Host = database.Connection.Host!,
                    Port = database.Connection.Port,
                    AdminUser = database.Connection.Username!,
                    AdminSecretRef = "",
                };
            }

            await using var dataSource = database.CreateDataSource();
            await PostgresPreflight.CheckAsync(dataSource, cancellationToken);

            // Zero set-up in dev; staging and prod migrate explicitly (a Job or init container runs `migrate`).
            if (environment == DeploymentEnvironment.Dev)
            {
                await CatalogMigrator.MigrateAsync(dataSource, CatalogScripts.Directory, _ => { }, cancellationToken);
            }

            var app = OperatorHost.Build(port, database.Description, dataSource, KubernetesClientFactory.Create(options),
                KubernetesClientFactory.Create(options), options, resolverListener: resolverListener);
            await app.RunAsync(cancellationToken);
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is ConfigurationException or PreflightException or NpgsqlException
                                      or Sandbox.Postgres.EmbeddedPostgresException or k8s.Exceptions.KubeConfigException)
        {
            await Console.Error.WriteLineAsync($"controlplane failed to start: {e.Message}");
            return ExitCodes.Error;
        }
    }
}
