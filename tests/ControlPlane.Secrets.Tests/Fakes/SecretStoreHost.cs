using ControlPlane.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets.Tests.Fakes;

/// <summary>The production registration (<c>AddSecretStores</c>) fed with test settings, a clock and a log sink.</summary>
public sealed class SecretStoreHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private SecretStoreHost(ServiceProvider provider, CapturingLoggerProvider logs)
    {
        _provider = provider;
        Logs = logs;
    }

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => _provider;

    public ISecretStore Store => _provider.GetRequiredService<ISecretStore>();

    public static SecretStoreHost Create(IDictionary<string, string?> settings, TimeProvider? time = null, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        configure?.Invoke(services);
        services.AddSecretStores(configuration);
        return new SecretStoreHost(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }), logs);
    }

    public async ValueTask DisposeAsync() => await _provider.DisposeAsync();
}
