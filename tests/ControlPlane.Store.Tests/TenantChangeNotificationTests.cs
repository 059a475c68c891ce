using System.Text.Json;
using ControlPlane.Core.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

public sealed class TenantChangeNotificationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Every_tenant_change_is_announced_on_the_channel_by_id_and_slug_without_connection_data()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await using var listener = await db.DataSource.OpenConnectionAsync(cancellationToken);
        var payloads = new List<string>();
        listener.Notification += (_, e) => { if (e.Channel == "control_plane_tenants") { payloads.Add(e.Payload); } };
        await using (var listen = new NpgsqlCommand("LISTEN control_plane_tenants", listener))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        var tenant = await db.Catalog.RegisterAsync(
            new TenantRegistration("acme", "Acme", "tenant_acme", "db.internal", "tenant_acme_app", SecretReference.Parse("vault:secret/econt/acme#password")),
            "test", cancellationToken);
        await db.Catalog.MarkActiveAsync(tenant.Id, "test", cancellationToken);
        await db.ExecuteAsync("DELETE FROM control_plane.tenant_events WHERE tenant_id = $1", tenant.Id);
        await db.ExecuteAsync("DELETE FROM control_plane.tenants WHERE id = $1", tenant.Id);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        while (payloads.Count < 3)
        {
            await listener.WaitAsync(deadline.Token);
        }

        var ops = payloads.Select(p => JsonDocument.Parse(p).RootElement).ToList();
        Assert.Equal(["insert", "update", "delete"], ops.Select(o => o.GetProperty("op").GetString()));
        Assert.All(ops, o => Assert.Equal(tenant.Id, o.GetProperty("id").GetGuid()));
        Assert.All(ops, o => Assert.Equal("acme", o.GetProperty("slug").GetString()));
        Assert.All(payloads, p => Assert.DoesNotContain("vault:", p, StringComparison.Ordinal));
        Assert.All(payloads, p => Assert.DoesNotContain("db.internal", p, StringComparison.Ordinal));
    }
}
