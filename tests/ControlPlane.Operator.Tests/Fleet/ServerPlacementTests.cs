using System.Collections.Immutable;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Provisioning;

namespace ControlPlane.Operator.Tests.Fleet;

/// <summary>The placement planner, table-driven: pure inputs, one decision.</summary>
public sealed class ServerPlacementTests
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = ImmutableDictionary<string, string>.Empty;

    private static PlacementCandidate Server(string name, int tenants, bool ready = true, bool draining = false, int? max = null, IReadOnlyDictionary<string, string>? labels = null) =>
        new(name, Bootstrap: false, new ServerPlacementProfile(ready, draining, max, labels ?? NoLabels), tenants);

    private static PlacementCandidate Bootstrap(string name) => new(name, Bootstrap: true, ServerPlacementProfile.Bootstrap, 0);

    private static string? Placed(PlacementDecision decision) => (decision as PlacementDecision.Placed)?.Server;

    [Fact]
    public void The_least_loaded_server_takes_the_tenant()
    {
        Assert.Equal("b", Placed(ServerPlacement.Choose([Server("a", 3), Server("b", 1), Server("c", 2)], null)));
    }

    [Fact]
    public void Equal_loads_are_broken_by_name_whatever_the_input_order()
    {
        Assert.Equal("a", Placed(ServerPlacement.Choose([Server("c", 1), Server("a", 1), Server("b", 1)], null)));
        Assert.Equal("a", Placed(ServerPlacement.Choose([Server("b", 1), Server("c", 1), Server("a", 1)], null)));
    }

    [Fact]
    public void Draining_unready_and_full_servers_are_passed_over()
    {
        var decision = ServerPlacement.Choose([Server("a", 0, draining: true), Server("b", 0, ready: false), Server("c", 5, max: 5), Server("d", 9)], null);

        Assert.Equal("d", Placed(decision));
    }

    [Fact]
    public void A_full_fleet_names_every_server_and_why()
    {
        var decision = ServerPlacement.Choose([Server("a", 0, draining: true), Server("b", 0, ready: false), Server("c", 5, max: 5)], null);

        var none = Assert.IsType<PlacementDecision.NoServer>(decision);
        Assert.Equal("No tenant database server takes new tenants: a is draining; b is not ready; c is full (5/5 tenants).", none.Message);
    }

    [Fact]
    public void The_selector_keeps_only_servers_carrying_every_label()
    {
        var eu = new Dictionary<string, string> { ["region"] = "eu", ["tier"] = "gold" };
        var us = new Dictionary<string, string> { ["region"] = "us", ["tier"] = "gold" };
        var selector = new Dictionary<string, string> { ["region"] = "eu" };

        Assert.Equal("eu-1", Placed(ServerPlacement.Choose([Server("us-1", 0, labels: us), Server("eu-1", 7, labels: eu)], selector)));
        Assert.IsType<PlacementDecision.NoServer>(ServerPlacement.Choose([Server("us-1", 0, labels: us)], selector));
    }

    [Fact]
    public void Without_any_server_resource_the_bootstrap_default_takes_the_tenant_as_before_placement()
    {
        Assert.Equal("default", Placed(ServerPlacement.Choose([Bootstrap("default"), Bootstrap("other")], null)));
        Assert.IsType<PlacementDecision.NoServer>(ServerPlacement.Choose([Bootstrap("other")], null));
        Assert.IsType<PlacementDecision.NoServer>(ServerPlacement.Choose([Bootstrap("default")], new Dictionary<string, string> { ["region"] = "eu" }));
    }

    [Fact]
    public void Once_a_server_resource_exists_bootstrap_servers_take_only_tenants_that_name_them()
    {
        Assert.Equal("a", Placed(ServerPlacement.Choose([Bootstrap("default"), Server("a", 100)], null)));
        Assert.IsType<PlacementDecision.NoServer>(ServerPlacement.Choose([Bootstrap("default"), Server("a", 1, max: 1)], null));
    }

    [Fact]
    public void Thirty_placements_in_a_row_spread_ten_ten_ten()
    {
        var load = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0, ["c"] = 0 };
        for (var i = 0; i < 30; i++)
        {
            var server = Placed(ServerPlacement.Choose([.. load.Select(pair => Server(pair.Key, pair.Value))], null))!;
            load[server]++;
        }

        Assert.Equal([10, 10, 10], load.Values);
    }
}
