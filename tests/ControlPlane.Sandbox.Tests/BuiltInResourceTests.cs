using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using k8s;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class BuiltInResourceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Secret_string_data_is_merged_into_base64_data_and_never_stored()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var created = await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "s" },
            Data = new Dictionary<string, byte[]> { ["user"] = "admin"u8.ToArray() },
            StringData = new Dictionary<string, string> { ["password"] = "pä55" },
        }, "default", cancellationToken: Ct);

        Assert.Equal("pä55", Encoding.UTF8.GetString(created.Data["password"]));
        Assert.Equal("admin", Encoding.UTF8.GetString(created.Data["user"]));
        Assert.Equal("Opaque", created.Type);
        Assert.Null(created.StringData);
        var stored = server.GetStored(string.Empty, "v1", "secrets", "default", "s")!;
        Assert.Null(stored["stringData"]);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("pä55")), (string?)stored["data"]!["password"]);

        created.StringData = new Dictionary<string, string> { ["password"] = "rotated" };
        var replaced = await client.CoreV1.ReplaceNamespacedSecretAsync(created, "s", "default", cancellationToken: Ct);
        Assert.Equal("rotated", Encoding.UTF8.GetString(replaced.Data["password"]));
        Assert.Equal("admin", Encoding.UTF8.GetString(replaced.Data["user"]));
    }

    [Fact]
    public async Task Secrets_are_listed_patched_and_deleted_with_a_success_status()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "a", Labels = new Dictionary<string, string> { ["app"] = "db" } } }, "default", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "b" } }, "default", cancellationToken: Ct);

        var listed = await client.CoreV1.ListNamespacedSecretAsync("default", labelSelector: "app=db", cancellationToken: Ct);
        Assert.Equal(["a"], listed.Items.Select(s => s.Metadata.Name));

        var patched = await client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"stringData":{"k":"v"}}""", V1Patch.PatchType.MergePatch), "b", "default", cancellationToken: Ct);
        Assert.Equal("v", Encoding.UTF8.GetString(patched.Data["k"]));

        var status = await client.CoreV1.DeleteNamespacedSecretAsync("a", "default", cancellationToken: Ct);
        Assert.Equal("Success", status.Status);
        Assert.Null(server.GetStored(string.Empty, "v1", "secrets", "default", "a"));
    }

    [Fact]
    public async Task Delete_collection_removes_only_the_selected_secrets()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        foreach (var (name, tenant) in new[] { ("a", "acme"), ("b", "acme"), ("c", "globex") })
        {
            await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["tenant"] = tenant } } }, "default", cancellationToken: Ct);
        }

        await client.CoreV1.DeleteCollectionNamespacedSecretAsync("default", labelSelector: "tenant=acme", cancellationToken: Ct);

        Assert.Equal(["c"], server.ListStored(string.Empty, "v1", "secrets", "default").Select(s => (string?)s["metadata"]!["name"]));
    }

    [Fact]
    public async Task An_immutable_secret_refuses_data_changes()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var created = await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, Immutable = true, StringData = new Dictionary<string, string> { ["k"] = "v" } }, "default", cancellationToken: Ct);

        created.Data["k"] = "changed"u8.ToArray();
        var (code, status) = await FailureAsync(() => client.CoreV1.ReplaceNamespacedSecretAsync(created, "s", "default", cancellationToken: Ct));

        Assert.Equal(422, code);
        Assert.Equal("data", (string?)status["details"]!["causes"]![0]!["field"]);
    }

    [Fact]
    public async Task Secret_data_that_is_not_base64_is_a_bad_request()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "s" }, ["data"] = new JsonObject { ["k"] = "%%%" } };
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        using var response = await http.PostAsync(new Uri("api/v1/namespaces/default/secrets", UriKind.Relative), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("BadRequest", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["reason"]);
    }

    [Fact]
    public async Task Leases_accept_put_without_resource_version_and_conflict_on_a_stale_one()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var lease = await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "leader" },
            Spec = new V1LeaseSpec { HolderIdentity = "pod-a", LeaseDurationSeconds = 15 },
        }, "kube-system", cancellationToken: Ct);
        var staleRv = lease.Metadata.ResourceVersion;

        lease.Spec.HolderIdentity = "pod-b";
        lease = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "leader", "kube-system", cancellationToken: Ct);
        Assert.Equal("pod-b", lease.Spec.HolderIdentity);

        lease.Metadata.ResourceVersion = staleRv;
        var (code, _) = await FailureAsync(() => client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "leader", "kube-system", cancellationToken: Ct));
        Assert.Equal(409, code);

        lease.Metadata.ResourceVersion = null;
        lease.Spec.HolderIdentity = "pod-c";
        var unconditional = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "leader", "kube-system", cancellationToken: Ct);
        Assert.Equal("pod-c", unconditional.Spec.HolderIdentity);
    }

    [Fact]
    public async Task The_client_leader_elector_acquires_a_lease_on_this_server()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var elector = new k8s.LeaderElection.LeaderElector(new k8s.LeaderElection.LeaderElectionConfig(
            new k8s.LeaderElection.ResourceLock.LeaseLock(client, "default", "operator", "me"))
        {
            LeaseDuration = TimeSpan.FromSeconds(3),
            RenewDeadline = TimeSpan.FromSeconds(2),
            RetryPeriod = TimeSpan.FromMilliseconds(200),
        });
        var leading = new TaskCompletionSource();
        elector.OnStartedLeading += () => leading.TrySetResult();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var running = elector.RunUntilLeadershipLostAsync(stop.Token);
        await leading.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.Equal("me", (string?)server.GetStored("coordination.k8s.io", "v1", "leases", "default", "operator")!["spec"]!["holderIdentity"]);
    }

    [Fact]
    public async Task Events_are_created_counted_and_listed()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var ev = await client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = "widget-a." },
            InvolvedObject = new V1ObjectReference { Kind = "Widget", Name = "a", NamespaceProperty = "default", ApiVersion = "test.econt.io/v1" },
            Reason = "Provisioned",
            Message = "database created",
            Type = "Normal",
            Count = 1,
            ReportingComponent = "econt-operator",
        }, "default", cancellationToken: Ct);
        Assert.StartsWith("widget-a.", ev.Metadata.Name, StringComparison.Ordinal);

        ev.Count = 2;
        await client.CoreV1.ReplaceNamespacedEventAsync(ev, ev.Metadata.Name, "default", cancellationToken: Ct);

        var stored = Assert.Single(server.ListEvents("default"));
        Assert.Equal(2, (int?)stored["count"]);
        Assert.Equal("Provisioned", (string?)stored["reason"]);
        Assert.Single((await client.CoreV1.ListNamespacedEventAsync("default", cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Namespaces_are_created_listed_and_active_and_objects_can_then_live_in_them()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var created = await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tenant-a" } }, cancellationToken: Ct);
        Assert.Equal("Active", created.Status.Phase);
        Assert.Contains("tenant-a", (await client.CoreV1.ListNamespaceAsync(cancellationToken: Ct)).Items.Select(n => n.Metadata.Name));
        Assert.Equal("tenant-a", (await client.CoreV1.ReadNamespaceAsync("tenant-a", cancellationToken: Ct)).Metadata.Name);

        await CreateWidgetAsync(client, Widget("w", ns: "tenant-a"), "tenant-a");
        Assert.NotNull(server.GetStored(Group, V1, Widgets, "tenant-a", "w"));
        var (code, status) = await FailureAsync(() => client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "Bad_Name" } }, cancellationToken: Ct));
        Assert.Equal(422, code);
        Assert.Equal("metadata.name", (string?)status["details"]!["causes"]![0]!["field"]);
    }

    [Fact]
    public async Task Token_reviews_authenticate_registered_tokens_only()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        server.RegisterToken("good-token", "system:serviceaccount:apps:reader", ["system:serviceaccounts", "econt:readers"]);

        var good = await client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = "good-token" } }, cancellationToken: Ct);
        var bad = await client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = "forged" } }, cancellationToken: Ct);

        Assert.True(good.Status.Authenticated);
        Assert.Equal("system:serviceaccount:apps:reader", good.Status.User.Username);
        Assert.Equal(["system:serviceaccounts", "econt:readers"], good.Status.User.Groups);
        Assert.NotEqual(true, bad.Status.Authenticated);
        Assert.Null(bad.Status.User.Username);
    }
}
