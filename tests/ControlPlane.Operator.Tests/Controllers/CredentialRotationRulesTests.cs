using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Store.Catalog;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Controllers;

public sealed class CredentialRotationRulesTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 1, 8, 30, 15, 250, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    [Fact]
    public void An_unserved_annotation_request_rotates_now_and_a_served_one_does_not()
    {
        var now = Created + TimeSpan.FromMinutes(5);

        var due = CredentialRotationRules.Plan("request:7", requestDone: false, every: null, latest: null, Created, now);
        var done = CredentialRotationRules.Plan("request:7", requestDone: true, every: null, latest: null, Created, now);

        Assert.Equal(new CredentialRotation("request:7", false, Seconds(now)), due.Due);
        Assert.Null(due.NextDue);
        Assert.Equal(new RotationPlan(null, null), done);
    }

    [Fact]
    public void A_schedule_counts_from_creation_then_from_the_newest_rotation_with_a_name_stable_across_retries()
    {
        var before = CredentialRotationRules.Plan(null, false, Day, latest: null, Created, Created + Day - TimeSpan.FromSeconds(1));
        var due = CredentialRotationRules.Plan(null, false, Day, latest: null, Created, Created + Day + TimeSpan.FromHours(1));
        var retried = CredentialRotationRules.Plan(null, false, Day, latest: null, Created, Created + Day + TimeSpan.FromHours(2));
        var latest = new CredentialRotation("schedule:2026-01-02T08:30:15Z", true, Created + Day + TimeSpan.FromHours(1));
        var after = CredentialRotationRules.Plan(null, false, Day, latest, Created, Created + Day + TimeSpan.FromHours(2));

        Assert.Null(before.Due);
        Assert.Equal(Seconds(Created + Day), before.NextDue);
        Assert.Equal("schedule:2026-01-02T08:30:15Z", due.Due!.Rotation);
        Assert.True(due.Due.Scheduled);
        Assert.Equal(due.Due.Rotation, retried.Due!.Rotation);
        Assert.Null(after.Due);
        Assert.Equal(Seconds(latest.At + Day), after.NextDue);
    }

    [Theory]
    [InlineData("1h", 1)]
    [InlineData("720h", 720)]
    [InlineData("30d", 720)]
    [InlineData("99999d", 99999 * 24)]
    public void RotateEvery_reads_hours_and_days(string text, int hours) =>
        Assert.Equal(TimeSpan.FromHours(hours), RotationPeriod.Parse(text));

    [Theory]
    [InlineData("2026-12-01T10:00:00Z", false, null)]
    [InlineData("7", false, null)]
    [InlineData("", false, "must be a token")]
    [InlineData("hunter2 with spaces", false, "must be a token")]
    [InlineData("-7", false, "must be a token")]
    [InlineData("2026-12-01", true, "needs generated credentials")]
    public void The_annotation_is_a_token_on_a_tenant_with_generated_credentials(string token, bool ownSecret, string? problem)
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = "acme", Annotations = new Dictionary<string, string> { [CredentialRotationRules.Annotation] = token } } };
        if (ownSecret)
        {
            tenant.Spec.Credentials = new TenantCredentials { SecretRef = "k8s:tenants/acme-db#password" };
        }

        var problems = CredentialRotationRules.Problems(tenant).ToList();

        if (problem is null)
        {
            Assert.Empty(problems);
            Assert.Equal(CredentialRotationRules.RequestPrefix + token, CredentialRotationRules.Request(tenant));
        }
        else
        {
            Assert.Contains(problems, p => p.Contains(problem, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Rotation_status_survives_other_status_writes()
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = "acme", Generation = 2 } };
        var credentials = CredentialRotationRules.Status(new CredentialRotation("request:7", false, Created), Created + Day);
        tenant.Status = TenantStatusRules.WithCredentials(tenant, credentials);

        var blocked = TenantStatusRules.Blocked(tenant, TenantReadyReason.SecretUnavailable, "down", Created);

        Assert.Same(credentials, blocked.Credentials);
    }

    private static DateTimeOffset Seconds(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
