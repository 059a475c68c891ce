using System.CommandLine;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Resolver;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Store.Connection;
using ControlPlane.Store.Migrations;
using ControlPlane.Store.Preflight;
using Npgsql;

namespace ControlPlane.Operator.Commands;

/// <summary>
/// <c>run</c> (the default): the operator process with its HTTP endpoints. In dev, with no Kubernetes configuration
/// anywhere, it runs the sandbox (<see cref="SandboxCluster"/>); <c>sandbox</c> does so even when one exists.
/// </summary>
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
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(PortOption), forceSandbox: false, cancellationToken));
        return command;
    }

    public static Command CreateSandbox()
    {
        var command = new Command("sandbox",
            "Dev only: run the operator against its own Kubernetes API server (state in .dev/kube, kubeconfig .dev/kubeconfig) and the embedded PostgreSQL 17.");
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(PortOption), forceSandbox: true, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int port, bool forceSandbox, CancellationToken cancellationToken)
    {
        try
        {
            var environment = DeploymentEnvironments.FromProcess();

            // Options first: a bad setting fails in milliseconds, before any database or API server is touched.
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var options = OperatorOptionsLoader.Load(configuration, environment, Environment.GetEnvironmentVariable);
            var resolverListener = ResolverConfiguration.ReadListener(configuration, environment);
            ResolverConfiguration.ReadEndpoint(configuration);
            var kubernetes = forceSandbox ? null : KubernetesClientFactory.FindConfiguration(options, Environment.GetEnvironmentVariable);
            if (kubernetes is null && environment != DeploymentEnvironment.Dev)
            {
                throw new ConfigurationException(forceSandbox
                    ? $"the sandbox exists for dev only (ENVIRONMENT={environment.ToString().ToLowerInvariant()})."
                    : KubernetesClientFactory.MissingConfigurationMessage);
            }

            await using var sandbox = kubernetes is null ? await StartSandboxAsync(cancellationToken) : null;
            await using var database = await CatalogDatabase.OpenAsync(environment, cancellationToken);
            UseEmbeddedTenantServer(environment, database, options);
            await using var dataSource = database.CreateOperatorDataSource();
            await PostgresPreflight.CheckAsync(dataSource, cancellationToken);

            // Zero set-up in dev; staging and prod migrate explicitly (config/migrate's Job runs `migrate`). Under a plain
            // `kubectl apply -k` that Job and this pod start together: refusing a catalog behind this build makes the pod
            // restart until the Job is done, instead of reconciling against tables that are not there yet.
            if (environment == DeploymentEnvironment.Dev)
            {
                // A pool of its own: Evolve's session lock and settings must not reach the operator's reset-free pool.
                await using var migration = database.CreateDataSource();
                await CatalogMigrator.MigrateAsync(migration, CatalogScripts.Directory, _ => { }, cancellationToken);
            }
            else if (await CatalogVersion.AppliedAsync(dataSource, cancellationToken) is var applied
                     && CatalogVersion.Shipped(CatalogScripts.Directory) is var shipped && CatalogVersion.IsBehind(applied, shipped))
            {
                throw new ConfigurationException(
                    $"the catalog is at version {applied ?? "none"}, this build needs {shipped}: run `migrate` first (the controlplane-migrate Job).");
            }

            // Two clients: TokenReviews of resolver callers never share a connection pool with the informers and the lease.
            var cluster = sandbox?.Configuration ?? kubernetes!;
            var app = OperatorHost.Build(port, database.Description, dataSource, KubernetesClientFactory.Create(cluster),
                KubernetesClientFactory.Create(cluster), options, resolverListener: resolverListener);
            await app.StartAsync(cancellationToken);
            if (sandbox is not null)
            {
                Console.WriteLine(SandboxBanner(sandbox, database));
            }

            await app.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is ConfigurationException or PreflightException or NpgsqlException
                                      or Sandbox.Postgres.EmbeddedPostgresException or k8s.Exceptions.KubeConfigException)
        {
            await Console.Error.WriteLineAsync($"controlplane failed to start: {e.Message}");
            return ExitCodes.Error;
        }
    }

    private static async Task<SandboxCluster> StartSandboxAsync(CancellationToken cancellationToken)
    {
        var devDirectory = DevDirectory.Locate() ?? throw new ConfigurationException(
            $"no repository checkout was found for the sandbox's state; set {DevDirectory.OverrideVariable} to a folder for it, or KUBECONFIG.");

        // Tenant passwords go to Kubernetes Secrets in the sandbox: they survive a restart and `resolve` in another
        // terminal reads them, which the in-memory mock backend (the dev default) cannot do.
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(SecretStoreConfiguration.BackendVariable)))
        {
            Environment.SetEnvironmentVariable(SecretStoreConfiguration.BackendVariable, "k8s");
        }

        return await SandboxCluster.StartAsync(devDirectory, cancellationToken);
    }

    public const string EmbeddedServerName = "default";

    /// <summary>
    /// Zero set-up in dev: with the embedded catalog and no tenant server configured, tenant databases go to the embedded
    /// server too, as its trusted loopback superuser. True when it did so.
    /// </summary>
    internal static bool UseEmbeddedTenantServer(DeploymentEnvironment environment, CatalogDatabase database, OperatorOptions options)
    {
        if (environment != DeploymentEnvironment.Dev || !database.IsEmbedded || options.TenantDatabaseServers.Count != 0)
        {
            return false;
        }

        options.TenantDatabaseServers[EmbeddedServerName] = new TenantDatabaseServerOptions
        {
            Host = database.Connection.Host!,
            Port = database.Connection.Port,
            AdminUser = database.Connection.Username!,
            AdminSecretRef = "",
        };
        return true;
    }

    internal static string SandboxBanner(SandboxCluster sandbox, CatalogDatabase database) => string.Join(Environment.NewLine,
        $"Sandbox ready: Kubernetes API server {sandbox.Address} ({(sandbox.Started ? "started here, state in .dev/kube" : "run by another dev process")}),",
        $"PostgreSQL {database.Description} as the catalog and as tenant server `default`.",
        "Try next, in another terminal:",
        $"  export KUBECONFIG={sandbox.KubeconfigPath}",
        "  kubectl apply -f config/samples/tenant-acme.yaml",
        "  kubectl get tenants");
}
