using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Runtime;

/// <summary>
/// Records core/v1 Events on objects, aggregated by (object uid, reason, message): a repeat raises
/// <c>count</c> and <c>lastTimestamp</c> of one Event instead of creating another. The Event's name is derived from
/// that triple, so aggregation also holds across restarts and replicas (create → 409 AlreadyExists → read and bump).
/// Recording is best effort: a failure is logged and never fails the reconcile, because an Event is a notice to
/// humans, not state the operator depends on.
/// </summary>
public sealed class EventRecorder(IEventClient client, string component, string instance, TimeProvider time, ILogger<EventRecorder> logger)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    public async Task RecordAsync(
        IKubernetesObject<V1ObjectMeta> subject, string type, string reason, string message, CancellationToken cancellationToken)
    {
        var name = EventName(subject, reason, message);
        var ns = subject.Metadata.NamespaceProperty ?? "default";
        try
        {
            for (var attempt = 0; attempt < ConflictRetry.MaxAttempts; attempt++)
            {
                var existing = await client.GetAsync(ns, name, cancellationToken);
                var now = time.GetUtcNow().UtcDateTime;
                try
                {
                    if (existing is null)
                    {
                        await client.CreateAsync(NewEvent(subject, ns, name, type, reason, message, now), cancellationToken);
                    }
                    else
                    {
                        existing.Count = (existing.Count ?? 1) + 1;
                        existing.LastTimestamp = now;
                        await client.ReplaceAsync(existing, cancellationToken);
                    }

                    return;
                }
                catch (Exception e) when (ApiErrors.IsConflict(e))
                {
                    // Another writer created or bumped it first: read again and bump on top.
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.EventNotRecorded(logger, e, reason, ResourceKey.Of(subject).ToString());
        }
    }

    /// <summary><c>&lt;object-name&gt;.&lt;16 hex of sha256(uid, reason, message)&gt;</c>: stable per aggregation key.</summary>
    public static string EventName(IKubernetesObject<V1ObjectMeta> subject, string reason, string message)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{subject.Metadata.Uid}\n{reason}\n{message}"));
        return $"{subject.Metadata.Name}.{Convert.ToHexStringLower(hash)[..16]}";
    }

    private Corev1Event NewEvent(
        IKubernetesObject<V1ObjectMeta> subject, string ns, string name, string type, string reason, string message, DateTime now) =>
        new()
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = subject.ApiVersion,
                Kind = subject.Kind,
                Name = subject.Metadata.Name,
                NamespaceProperty = subject.Metadata.NamespaceProperty,
                Uid = subject.Metadata.Uid,
                ResourceVersion = subject.Metadata.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Count = 1,
            FirstTimestamp = now,
            LastTimestamp = now,
            Source = new V1EventSource { Component = component },
            ReportingComponent = component,
            ReportingInstance = instance,
        };
}
