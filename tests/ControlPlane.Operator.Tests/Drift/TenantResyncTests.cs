using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Hosting;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Configuration;

namespace ControlPlane.Operator.Tests.Drift;

/// <summary>The resync schedule: a jittered period per tenant, configured by option or TENANT_RESYNC_PERIOD_SECONDS.</summary>
public sealed class TenantResyncTests
{
    [Fact]
    public void The_default_period_is_ten_minutes_jittered_by_ten_percent_either_way()
    {
        Assert.Equal(TimeSpan.FromMinutes(10), new OperatorOptions().ResyncPeriod);
        Assert.Equal(TimeSpan.FromMinutes(9), new TenantResync(TenantResync.DefaultPeriod, () => 0).Next());
        Assert.Equal(TimeSpan.FromMinutes(10), new TenantResync(TenantResync.DefaultPeriod, () => 0.5).Next());
        Assert.Equal(TimeSpan.FromMinutes(11), new TenantResync(TenantResync.DefaultPeriod, () => 1).Next());
    }

    [Fact]
    public void Delays_spread_over_the_whole_jitter_window()
    {
        var resync = new TenantResync(TimeSpan.FromMinutes(10), new Random(13).NextDouble);
        var delays = Enumerable.Range(0, 1000).Select(_ => resync.Next()).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(11)));
        Assert.True(delays.Min() < TimeSpan.FromMinutes(9.2) && delays.Max() > TimeSpan.FromMinutes(10.8), "the jitter does not spread the fleet");
    }

    [Fact]
    public void The_variable_sets_the_period_and_a_bad_value_is_refused_by_name()
    {
        Assert.Equal(TimeSpan.FromSeconds(90), Load(new() { [OperatorOptionsLoader.ResyncPeriodVariable] = "90" }).ResyncPeriod);
        Assert.Equal(TimeSpan.FromMinutes(3), Load(new(), new() { ["Operator:ResyncPeriod"] = "00:03:00" }).ResyncPeriod);

        var garbled = Assert.Throws<ConfigurationException>(() => Load(new() { [OperatorOptionsLoader.ResyncPeriodVariable] = "10m" }));
        Assert.Contains("TENANT_RESYNC_PERIOD_SECONDS must be a whole number of seconds (got '10m')", garbled.Message, StringComparison.Ordinal);
        var tooShort = Assert.Throws<ConfigurationException>(() => Load(new() { [OperatorOptionsLoader.ResyncPeriodVariable] = "1" }));
        Assert.Contains("ResyncPeriod (TENANT_RESYNC_PERIOD_SECONDS) must be between 10 seconds and 24 hours", tooShort.Message, StringComparison.Ordinal);
    }

    private static OperatorOptions Load(Dictionary<string, string> variables, Dictionary<string, string?>? settings = null)
    {
        variables["POD_NAMESPACE"] = "econt-system";
        variables["POD_NAME"] = "controlplane-0";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        return OperatorOptionsLoader.Load(configuration, DeploymentEnvironment.Dev, name => variables.GetValueOrDefault(name));
    }
}
