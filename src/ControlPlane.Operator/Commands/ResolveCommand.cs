using System.CommandLine;
using System.Text.Json;
using ControlPlane.Client;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Resolver;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Operator.Commands;

/// <summary>
/// <c>resolve &lt;slug&gt;</c>: what the accounting system would get for a tenant, from the catalog and the secret
/// manager configured in the environment. Exit 0 resolved, 1 refused (the status is printed), 2 could not resolve.
/// The password is masked unless <c>--reveal</c>.
/// </summary>
internal static class ResolveCommand
{
    private static readonly Argument<string> SlugArgument = new("slug") { Description = "The tenant's slug (any case)." };

    private static readonly Option<bool> RevealOption = new("--reveal") { Description = "Print the password and the full connection string." };

    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print the result as JSON for machines." };

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var command = new Command("resolve", "Resolve a tenant slug to its connection (exit 0 resolved, 1 refused, 2 cannot resolve).");
        command.Arguments.Add(SlugArgument);
        command.Options.Add(RevealOption);
        command.Options.Add(JsonOption);
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(SlugArgument)!, parse.GetValue(RevealOption), parse.GetValue(JsonOption), cancellationToken));
        return command;
    }

    internal static int ExitCodeOf(ResolveResult result) => result is ResolveResult.Resolved ? ExitCodes.Ok : ExitCodes.Failed;

    internal static string FormatText(ResolveResult result, bool reveal) => result switch
    {
        ResolveResult.Resolved { Connection: var c } => string.Join(Environment.NewLine,
            $"tenant     {c.Slug} ({c.TenantId})",
            "status     resolved",
            $"host       {c.Host}",
            $"port       {c.Port}",
            $"database   {c.Database}",
            $"user       {c.User}",
            $"password   {(reveal ? c.Password.Reveal() : SecretValue.Redacted)}",
            $"dsn        {(reveal ? c.RevealConnectionString() : c.MaskedConnectionString())}"),
        ResolveResult.Suspended s => $"{s.Slug}: suspended (423){(s.Reason is null ? "" : $": {s.Reason}")}",
        ResolveResult.NotReady n => $"{n.Slug}: not ready, {n.Status.ToSql()} (409)",
        ResolveResult.Maintenance m => $"{m.Slug}: in maintenance (503), retry after {m.RetryAfter.TotalSeconds:0} s",
        ResolveResult.NotFound f => $"{f.Slug}: no live tenant with this slug (404)",
        _ => throw new ArgumentOutOfRangeException(nameof(result)),
    };

    internal static string FormatJson(ResolveResult result, bool reveal) => JsonSerializer.Serialize<object>(result switch
    {
        ResolveResult.Resolved { Connection: var c } => new
        {
            Status = "resolved",
            c.Slug,
            c.TenantId,
            c.Host,
            c.Port,
            c.Database,
            c.User,
            Password = reveal ? c.Password.Reveal() : SecretValue.Redacted,
            ConnectionString = reveal ? c.RevealConnectionString() : c.MaskedConnectionString(),
        },
        ResolveResult.Suspended s => new { Status = "suspended", s.Slug, s.Reason },
        ResolveResult.NotReady n => new { Status = "not-ready", n.Slug, TenantStatus = n.Status.ToSql() },
        ResolveResult.Maintenance m => new { Status = "maintenance", m.Slug, RetryAfterSeconds = m.RetryAfter.TotalSeconds },
        ResolveResult.NotFound f => new { Status = "not-found", f.Slug },
        _ => throw new ArgumentOutOfRangeException(nameof(result)),
    }, Json);

    private static async Task<int> RunAsync(string slug, bool reveal, bool json, CancellationToken cancellationToken)
    {
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var environment = DeploymentEnvironments.FromProcess();
            await using var database = await CatalogDatabase.OpenAsync(environment, cancellationToken);
            await using var dataSource = database.CreateDataSource();
            // Registered first, so the secret store's Kubernetes backend reads the sandbox's Secrets in dev too.
            await using var services = new ServiceCollection().AddLogging()
                .AddSingleton(_ => KubernetesClientFactory.Create(KubernetesClientFactory.RequireForCommand(environment)))
                .AddSecretStores(configuration).BuildServiceProvider();
            // Not started: a one-shot resolve reads the catalog and the secret manager, nothing is cached.
            await using var resolver = new TenantConnectionResolver(dataSource, services.GetRequiredService<ISecretStore>(),
                ResolverConfiguration.ReadResolver(configuration), TimeProvider.System, NullLogger<TenantConnectionResolver>.Instance);

            var result = await resolver.ResolveAsync(slug, cancellationToken);
            Console.WriteLine(json ? FormatJson(result, reveal) : FormatText(result, reveal));
            return ExitCodeOf(result);
        }
        catch (Exception e) when (e is ConfigurationException or NpgsqlException or TenantResolutionException or SecretStoreException
                                      or Microsoft.Extensions.Options.OptionsValidationException or Sandbox.Postgres.EmbeddedPostgresException)
        {
            var reason = e is PostgresException { SqlState: PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.UndefinedTable } missing
                ? $"{missing.MessageText}; is the catalog migrated? (run `migrate`)"
                : e.InnerException is PostgresException { SqlState: PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.UndefinedTable } inner
                    ? $"{inner.MessageText}; is the catalog migrated? (run `migrate`)"
                    : e.Message;
            await Console.Error.WriteLineAsync($"resolve could not run: {reason}");
            return ExitCodes.Error;
        }
    }
}
