using System.Text.Json;
using ControlPlane.Operator.Provisioning;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Controllers;

public sealed class ActorsTests
{
    [Fact]
    public void The_actor_names_the_field_manager_of_the_newest_spec_change()
    {
        var metadata = new V1ObjectMeta
        {
            ManagedFields =
            [
                Entry("kubectl-client-side-apply", """{"f:spec":{"f:displayName":{}}}""", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
                Entry("argocd-controller", """{"f:spec":{"f:suspended":{}}}""", new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc)),
                Entry("controlplane-operator", """{"f:metadata":{"f:finalizers":{}}}""", new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc)),
                Entry("controlplane-operator", """{"f:status":{}}""", new DateTime(2026, 4, 1, 0, 0, 0, DateTimeKind.Utc), "status"),
            ],
        };

        Assert.Equal("controlplane-operator/pod-1 (spec by argocd-controller)", Actors.For("controlplane-operator/pod-1", metadata));
    }

    [Fact]
    public void Without_managed_fields_the_actor_is_the_operator_alone() =>
        Assert.Equal("controlplane-operator/pod-1", Actors.For("controlplane-operator/pod-1", new V1ObjectMeta()));

    [Fact]
    public void The_skip_cleanup_actor_names_who_set_the_annotation_not_who_last_changed_the_spec()
    {
        var metadata = new V1ObjectMeta
        {
            ManagedFields =
            [
                Entry("argocd-controller", """{"f:spec":{"f:displayName":{}}}""", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
                Entry("kubectl-annotate", """{"f:metadata":{"f:annotations":{"f:controlplane.econt.io/skip-cleanup":{}}}}""", new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc)),
                Entry("controlplane-operator", """{"f:metadata":{"f:finalizers":{}}}""", new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc)),
            ],
        };

        Assert.Equal("controlplane-operator/pod-1 (controlplane.econt.io/skip-cleanup by kubectl-annotate)",
            Actors.ForAnnotation("controlplane-operator/pod-1", metadata, "controlplane.econt.io/skip-cleanup"));
        Assert.Equal("controlplane-operator/pod-1", Actors.ForAnnotation("controlplane-operator/pod-1", metadata, "example.com/other"));
    }

    private static V1ManagedFieldsEntry Entry(string manager, string fields, DateTime time, string? subresource = null) => new()
    {
        Manager = manager,
        FieldsV1 = JsonSerializer.Deserialize<JsonElement>(fields),
        Time = time,
        Subresource = subresource,
        Operation = "Update",
    };
}
