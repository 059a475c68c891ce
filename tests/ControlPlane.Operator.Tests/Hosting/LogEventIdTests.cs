using System.Reflection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Operator.Tests.Hosting;

/// <summary>
/// Event ids are how an alert or a log query names one message: two messages under one id make a rule match the wrong
/// thing. Branches that add messages in parallel pick the next free id independently, so this is checked, not trusted.
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_source_generated_log_message_of_a_project_has_its_own_event_id()
    {
        // The operator's process writes the runtime's messages into the same log stream: one id space for both.
        Assembly[][] idSpaces =
        [
            [typeof(ControlPlane.Operator.Api.V1Alpha1.Tenant).Assembly, typeof(ControlPlane.Runtime.ReconcileResult).Assembly],
            [typeof(ControlPlane.Secrets.ISecretStore).Assembly],
            [typeof(ControlPlane.Client.TenantConnectionResolver).Assembly],
        ];
        foreach (var assemblies in idSpaces)
        {
            var messages = assemblies.SelectMany(a => a.GetTypes())
                .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                .Select(m => (Method: $"{m.DeclaringType!.FullName}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
                .Where(m => m.Attribute is not null)
                .ToList();

            Assert.NotEmpty(messages);
            var shared = messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1)
                .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();
            Assert.True(shared.Count == 0, $"{string.Join(" + ", assemblies.Select(a => a.GetName().Name))}: event ids used more than once: {string.Join("; ", shared)}");
        }
    }
}
