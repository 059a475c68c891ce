using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Configuration;

namespace ControlPlane.Operator.Tests.Hosting;

/// <summary>The admin password schedule's setting, refused at start-up when it cannot work, and its pure rules.</summary>
public sealed class AdminPasswordSettingsTests
{
    private const string Server = "Operator:TenantDatabaseServers:default";

    private static OperatorOptions Load(string adminSecretRef, string? rotateEvery, DeploymentEnvironment environment = DeploymentEnvironment.Dev)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{Server}:Host"] = "pg.econt.internal",
            [$"{Server}:AdminSecretRef"] = adminSecretRef,
            [$"{Server}:AdminPasswordRotateEvery"] = rotateEvery,
        }).Build();
        var variables = new Dictionary<string, string> { ["POD_NAMESPACE"] = "econt-system", ["POD_NAME"] = "controlplane-0" };
        return OperatorOptionsLoader.Load(configuration, environment, name => variables.GetValueOrDefault(name));
    }

    [Fact]
    public void A_schedule_on_a_read_only_env_secret_stops_the_operator_at_start_up_with_what_to_do()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load("env:PG_ADMIN_PASSWORD", "30d"));

        Assert.Contains($"{Server}:AdminPasswordRotateEvery: the env backend cannot store a new password", error.Message, StringComparison.Ordinal);
        Assert.Contains("k8s:, vault:, aws:, gcp: or azure:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30 days")]
    [InlineData("0d")]
    [InlineData("720:00:00")]
    [InlineData("12m")]
    public void A_schedule_not_in_whole_hours_or_days_is_refused(string rotateEvery)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load("k8s:econt-system/pg-admin#password", rotateEvery));

        Assert.Contains($"AdminPasswordRotateEvery: must be whole hours or days", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("k8s:econt-system/pg-admin#password", "720h", DeploymentEnvironment.Prod)]
    [InlineData("vault:secret/econt/servers/default#password", "30d", DeploymentEnvironment.Staging)]
    [InlineData("aws:eu-west-1/econt/servers/default#password", "1h", DeploymentEnvironment.Prod)]
    [InlineData("mock:pg-admin", "24h", DeploymentEnvironment.Dev)]
    [InlineData("env:PG_ADMIN_PASSWORD", null, DeploymentEnvironment.Dev)]
    public void A_schedule_on_a_writable_backend_or_no_schedule_is_accepted(string adminSecretRef, string? rotateEvery, DeploymentEnvironment environment)
    {
        var options = Load(adminSecretRef, rotateEvery, environment);

        Assert.Equal(rotateEvery, options.TenantDatabaseServers["default"].AdminPasswordRotateEvery);
    }

    [Theory]
    [InlineData("k8s:econt-system/pg-admin#password", "k8s:econt-system/pg-admin#password.pending")]
    [InlineData("azure:econt-kv/pg-admin#password", "azure:econt-kv/pg-admin#password.pending")]
    [InlineData("mock:pg-admin", "mock:pg-admin.pending")]
    public void The_pending_entry_is_a_sibling_key_of_the_same_secret(string current, string pending) =>
        Assert.Equal(pending, AdminPasswordRules.PendingOf(SecretReference.Parse(current)).ToString());

    [Fact]
    public void A_rotation_name_carries_its_start_time_to_the_second_and_differs_per_call()
    {
        var at = new DateTimeOffset(2026, 12, 2, 3, 4, 5, 678, TimeSpan.Zero);

        var name = AdminPasswordRules.NewRotation(at);

        Assert.Matches("^admin:2026-12-02T03:04:05Z:[0-9a-f]{8}$", name);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 3, 4, 5, TimeSpan.Zero), AdminPasswordRules.RotatedAt(name));
        Assert.NotEqual(name, AdminPasswordRules.NewRotation(at));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("request:2026-12-01T10.00.00Z")]
    [InlineData("admin:not-a-time")]
    [InlineData("admin:")]
    public void A_mark_the_operator_did_not_write_for_an_admin_rotation_has_no_time(string? mark) =>
        Assert.Null(AdminPasswordRules.RotatedAt(mark));

    [Fact]
    public void The_schedule_counts_from_the_last_rotation_and_a_password_never_rotated_is_due_at_once()
    {
        var now = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        var day = TimeSpan.FromDays(1);

        Assert.Equal(new AdminRotationPlan(false, null), AdminPasswordRules.Plan(null, null, now));
        Assert.Equal(new AdminRotationPlan(true, now), AdminPasswordRules.Plan(day, null, now));
        Assert.Equal(new AdminRotationPlan(true, now), AdminPasswordRules.Plan(day, "written-by-hand", now));
        Assert.Equal(new AdminRotationPlan(false, now.AddHours(1)), AdminPasswordRules.Plan(day, "admin:2026-12-01T13:00:00Z:00000000", now));
        Assert.Equal(new AdminRotationPlan(true, now), AdminPasswordRules.Plan(day, "admin:2026-12-01T12:00:00Z:00000000", now));
    }
}
