using ControlPlane.Client;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// Starts the resolver's change listener with the host; the resolver itself (a singleton) stops it on disposal.
/// Start-up does not wait for the first subscription: an unreachable catalog must not hold back /healthz, and until
/// the listener is up the resolver simply reads the catalog every time.
/// </summary>
internal sealed class ResolverListenerService(TenantConnectionResolver resolver) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = resolver.StartAsync(CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
