using System.CommandLine;
using System.Text.Json;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Secrets;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Operator.Commands;

/// <summary>
/// <c>rotate-admin-password --server &lt;name&gt;</c>: rotates one tenant database server's admin password now, the way the
/// leader does on schedule (first finishing a rotation an earlier run or a crashed operator left). Safe beside a running
/// operator: both take the server's rotation lock. Exit 0 rotated, 1 refused or busy (the reason is printed),
/// 2 could not run (configuration, the server or the secret store unreachable).
/// </summary>
internal static class RotateAdminPasswordCommand
{
    private static readonly Option<string> ServerOption = new("--server")
    {
        Description = "The tenant database server (Operator__TenantDatabaseServers__<name>__…).",
        Required = true,
    };

    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print the outcome as JSON for machines." };

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var command = new Command("rotate-admin-password", "Rotate a tenant database server's admin password now (exit 0 rotated, 1 refused or busy, 2 cannot run).");
        command.Options.Add(ServerOption);
        command.Options.Add(JsonOption);
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(ServerOption)!, parse.GetValue(JsonOption), cancellationToken));
        return command;
    }

    internal static int ExitCodeOf(AdminPasswordOutcome outcome) => outcome.Result switch
    {
        AdminPasswordResult.Rotated => ExitCodes.Ok,
        AdminPasswordResult.NotDue or AdminPasswordResult.Busy => ExitCodes.Failed,
        AdminPasswordResult.Failed => outcome.Reason is { } failure ? ExitCodeOf(failure) : ExitCodes.Failed,
    };

    /// <summary>A refusal a human must resolve exits 1; a failure of what the command needs to run exits 2, like a configuration error.</summary>
    private static int ExitCodeOf(AdminPasswordFailure failure) => failure switch
    {
        AdminPasswordFailure.NotRotatable or AdminPasswordFailure.ServerUnavailable or AdminPasswordFailure.SecretStoreFailed => ExitCodes.Error,
        AdminPasswordFailure.PasswordRejected or AdminPasswordFailure.SecretNotWritable or AdminPasswordFailure.SecretInconsistent => ExitCodes.Failed,
    };

    internal static string FormatText(AdminPasswordOutcome outcome) => outcome.Result switch
    {
        AdminPasswordResult.Rotated => string.Join(Environment.NewLine,
            $"server     {outcome.Server}",
            "result     rotated (new logins need the new password; open sessions keep running)",
            $"rotation   {outcome.Rotation}{(outcome.Resumed ? " (an interrupted rotation, completed)" : "")}",
            $"next       {(outcome.NextDue is { } next ? next.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) : "on demand only")}"),
        AdminPasswordResult.Busy => $"{outcome.Server}: another process is rotating this server's admin password; try again shortly.",
        AdminPasswordResult.NotDue or AdminPasswordResult.Failed => $"{outcome.Server}: {outcome.Reason?.ToWire()}: {outcome.Message}",
    };

    /// <summary>The outcome with its result and reason as their wire values (what scripts match on).</summary>
    internal static string FormatJson(AdminPasswordOutcome outcome) => JsonSerializer.Serialize(
        new OutcomeJson(outcome.Server, outcome.Result.ToWire(), outcome.Rotation, outcome.NextDue, outcome.Resumed, outcome.Reason?.ToWire(), outcome.Message),
        Json);

    private static async Task<int> RunAsync(string serverName, bool json, CancellationToken cancellationToken)
    {
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var environment = DeploymentEnvironments.FromProcess();
            var options = OperatorOptionsLoader.Load(configuration, environment, Environment.GetEnvironmentVariable);
            if (!options.TenantDatabaseServers.TryGetValue(serverName, out var settings))
            {
                throw new ConfigurationException(
                    $"No tenant database server '{serverName}' is configured (known: {string.Join(", ", options.TenantDatabaseServers.Keys.Order(StringComparer.Ordinal))}).");
            }

            // Registered first and built only if a k8s: reference is used, as in `resolve`.
            await using var services = new ServiceCollection().AddLogging()
                .AddSingleton(_ => KubernetesClientFactory.Create(KubernetesClientFactory.RequireForCommand(environment)))
                .AddSecretStores(configuration).BuildServiceProvider();
            var secrets = services.GetRequiredService<ISecretStore>();
            await using var server = new TenantDatabaseServer(serverName, settings, secrets);
            var rotator = new AdminPasswordRotator(secrets, IProvisioningFaults.None, TimeProvider.System, NullLogger<AdminPasswordRotator>.Instance);

            var outcome = await rotator.RotateAsync(server, onDemand: true, cancellationToken);
            Console.WriteLine(json ? FormatJson(outcome) : FormatText(outcome));
            return ExitCodeOf(outcome);
        }
        catch (Exception e) when (e is ConfigurationException or NpgsqlException or SecretStoreException or k8s.Exceptions.KubeConfigException
                                      or Microsoft.Extensions.Options.OptionsValidationException)
        {
            await Console.Error.WriteLineAsync($"rotate-admin-password could not run: {e.Message}");
            return ExitCodes.Error;
        }
    }

    private sealed record OutcomeJson(
        string Server, string Result, string? Rotation, DateTimeOffset? NextDue, bool Resumed, string? Reason, string? Message);
}
