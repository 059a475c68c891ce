namespace ControlPlane.Operator.Hosting;

/// <summary>Runs the <see cref="TenantOperator"/> for the lifetime of the web host.</summary>
internal sealed class TenantOperatorService(TenantOperator tenantOperator) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => tenantOperator.RunAsync(stoppingToken);
}
