using ControlPlane.Client;

namespace ControlPlane.Operator.Resolver;

/// <summary>Starts the resolver's change listener with the host; the resolver itself (a singleton) stops it on disposal.</summary>
internal sealed class ResolverListenerService(TenantConnectionResolver resolver) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => resolver.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
