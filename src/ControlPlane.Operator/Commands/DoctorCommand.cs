using System.CommandLine;
using System.Text.Json;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Secrets;
using ControlPlane.Store.Connection;
using Npgsql;

namespace ControlPlane.Operator.Commands;

/// <summary>
/// <c>doctor</c>: is this set-up able to run the operator? The catalog (reachable, migrated to this build's version), every
/// tenant server (reachable, admin with CREATEDB and CREATEROLE and not superuser, TLS shown), the secret backend, the CRDs
/// (installed as shipped) and the RBAC (a SelfSubjectAccessReview per shipped rule). Exit 0 all pass, 1 any fails, 2 cannot run.
/// </summary>
internal static class DoctorCommand
{
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print the checks as JSON for machines." };

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var command = new Command("doctor", "Check that this set-up can run the operator (exit 0 all pass, 1 a check fails, 2 cannot run).");
        command.Options.Add(JsonOption);
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(JsonOption), cancellationToken));
        return command;
    }

    internal static string FormatText(IReadOnlyList<DoctorCheck> checks) => string.Join(Environment.NewLine, checks.Select(c =>
        $"{(c.Passed ? "PASS" : "FAIL")}  {c.Name}: {c.Detail}{(c.Passed || c.Hint is null ? "" : $"{Environment.NewLine}      hint: {c.Hint}")}"));

    private static async Task<int> RunAsync(bool json, CancellationToken cancellationToken)
    {
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var environment = DeploymentEnvironments.FromProcess();
            var options = OperatorOptionsLoader.Load(configuration, environment, Environment.GetEnvironmentVariable);
            using var kubernetes = KubernetesClientFactory.Create(KubernetesClientFactory.RequireForCommand(environment));

            await using var database = await CatalogDatabase.OpenAsync(environment, cancellationToken);
            var devSuperuser = RunCommand.UseEmbeddedTenantServer(environment, database, options);
            await using var dataSource = database.CreateDataSource();
            var checks = new List<DoctorCheck> { await DoctorChecks.CatalogAsync(dataSource, CatalogScripts.Directory, database.Description, cancellationToken) };

            await using var services = new ServiceCollection().AddLogging().AddSingleton(kubernetes)
                .AddSecretStores(configuration).BuildServiceProvider();
            var secrets = services.GetRequiredService<ISecretStore>();
            await using (var servers = new TenantDatabaseServers(options.TenantDatabaseServers, secrets))
            {
                foreach (var name in servers.Names.Order(StringComparer.Ordinal))
                {
                    checks.Add(await DoctorChecks.TenantServerAsync(servers.Get(name), devSuperuser && name == RunCommand.EmbeddedServerName, cancellationToken));
                }
            }

            checks.Add(await DoctorChecks.SecretBackendAsync(secrets, services.GetRequiredService<SecretReferencePlanner>(), cancellationToken));
            checks.AddRange(await DoctorChecks.CrdsAsync(kubernetes, ShippedCrds.Directory, cancellationToken));
            checks.AddRange(await DoctorChecks.RbacAsync(kubernetes, ShippedCrds.RbacDirectory, cancellationToken));

            Console.WriteLine(json ? JsonSerializer.Serialize(new { Passed = checks.TrueForAll(c => c.Passed), Checks = checks }, Json) : FormatText(checks));
            return checks.TrueForAll(c => c.Passed) ? ExitCodes.Ok : ExitCodes.Failed;
        }
        catch (Exception e) when (e is ConfigurationException or NpgsqlException or k8s.Exceptions.KubeConfigException or HttpRequestException
                                      or k8s.Autorest.HttpOperationException or Microsoft.Extensions.Options.OptionsValidationException
                                      or Sandbox.Postgres.EmbeddedPostgresException)
        {
            await Console.Error.WriteLineAsync($"doctor could not run: {e.Message}");
            return ExitCodes.Error;
        }
    }
}
