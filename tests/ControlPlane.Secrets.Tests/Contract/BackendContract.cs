using ControlPlane.Core.Secrets;
using Xunit;

namespace ControlPlane.Secrets.Tests.Contract;

/// <summary>
/// What one secret backend under test offers the contract suite: the backend, a second independent instance
/// (another operator process) where the backend can have one, how to build a reference to a named secret, and the
/// fake's fault switches. A switch left null means the backend has no such failure (mock has no permissions).
/// </summary>
public sealed record ContractHarness(ISecretBackend Backend, Func<string, string, SecretReference> Reference) : IAsyncDisposable
{
    public ISecretBackend? Second { get; init; }

    /// <summary>Why the backend cannot be run as two processes against one store (printed as the skip reason).</summary>
    public string? NoSecondProcess { get; init; }

    /// <summary>Why the backend refuses every write (printed as the skip reason of the cases that write).</summary>
    public string? ReadOnly { get; init; }

    public Action<string>? Deny { get; init; }

    public Action<int>? Throttle { get; init; }

    public Func<SecretReference, int>? Versions { get; init; }

    public Action<SecretReference, string>? PutForeign { get; init; }

    public Func<ValueTask>? Dispose { get; init; }

    public ValueTask DisposeAsync() => Dispose?.Invoke() ?? ValueTask.CompletedTask;
}

/// <summary>
/// The backend contract: every secret manager behind <see cref="ISecretBackend"/> passes the same tests
/// (read, versioned write, delete, ensure-generated under concurrency, not found, access denied, throttling then
/// success, foreign secrets left alone). A subclass per backend starts its fake.
/// </summary>
public abstract class BackendContract : IAsyncLifetime
{
    protected static readonly SecretOwner Acme = new("acme");

    private ContractHarness _harness = null!;

    protected ContractHarness Harness => _harness;

    protected abstract ValueTask<ContractHarness> StartAsync(CancellationToken cancellationToken);

    public async ValueTask InitializeAsync() => _harness = await StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 13)];

    [Fact]
    public async Task A_written_value_reads_back_and_each_write_is_a_new_version()
    {
        SkipIfReadOnly();
        var reference = Harness.Reference(Unique("tenant-acme-db"), "password");
        await Harness.Backend.WriteAsync(reference, new SecretValue("first-value-0000000000000000"), Acme, Ct);
        await Harness.Backend.WriteAsync(reference, new SecretValue("second-value-111111111111111"), Acme, Ct);

        Assert.Equal("second-value-111111111111111", (await Harness.Backend.ReadAsync(reference, Ct)).Reveal());
        if (Harness.Versions is { } versions)
        {
            Assert.Equal(2, versions(reference));
        }
    }

    [Fact]
    public async Task Other_keys_of_the_same_secret_survive_a_write_and_a_delete()
    {
        SkipIfReadOnly();
        var name = Unique("tenant-acme-db");
        var password = Harness.Reference(name, "password");
        var user = Harness.Reference(name, "username");
        if (password == user)
        {
            Assert.Skip($"{Harness.Backend.Kind} references have no key.");
        }

        await Harness.Backend.WriteAsync(password, new SecretValue("pw-000000000000000000000000"), Acme, Ct);
        await Harness.Backend.WriteAsync(user, new SecretValue("acme_owner"), Acme, Ct);
        Assert.Equal(SecretDeletion.Deleted, await Harness.Backend.DeleteAsync(password, Ct));

        Assert.Equal("acme_owner", (await Harness.Backend.ReadAsync(user, Ct)).Reveal());
        await Assert.ThrowsAsync<SecretNotFoundException>(() => Harness.Backend.ReadAsync(password, Ct));
    }

    [Fact]
    public async Task Delete_removes_the_secret_and_a_repeated_delete_finds_nothing()
    {
        SkipIfReadOnly();
        var reference = Harness.Reference(Unique("tenant-acme-db"), "password");
        await Harness.Backend.WriteAsync(reference, new SecretValue("to-be-deleted-000000000000"), Acme, Ct);

        Assert.Equal(SecretDeletion.Deleted, await Harness.Backend.DeleteAsync(reference, Ct));
        Assert.Equal(SecretDeletion.NotFound, await Harness.Backend.DeleteAsync(reference, Ct));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => Harness.Backend.ReadAsync(reference, Ct));
        if (Harness.Versions is { } versions)
        {
            Assert.Equal(0, versions(reference));
        }
    }

    [Fact]
    public async Task Concurrent_ensure_calls_within_one_process_converge_on_one_stored_password()
    {
        SkipIfReadOnly();
        await ConcurrentEnsureAsync(Harness.Backend, Harness.Backend);
    }

    [Fact]
    public async Task Concurrent_ensure_calls_from_two_processes_converge_on_one_stored_password()
    {
        SkipIfReadOnly();
        var second = Harness.Second;
        Assert.SkipWhen(second is null, $"{Harness.Backend.Kind}: {Harness.NoSecondProcess ?? "no second process configured."}");
        await ConcurrentEnsureAsync(Harness.Backend, second);
    }

    [Fact]
    public async Task A_missing_secret_is_not_found_and_the_message_names_the_reference_not_a_value()
    {
        var reference = Harness.Reference(Unique("nobody"), "password");
        var error = await Assert.ThrowsAsync<SecretNotFoundException>(() => Harness.Backend.ReadAsync(reference, Ct));
        Assert.Contains(reference.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Same(reference, error.Reference);
    }

    [Fact]
    public async Task A_refused_permission_is_access_denied_and_not_retried_as_transient()
    {
        SkipIfReadOnly();
        if (Harness.Deny is null)
        {
            Assert.Skip($"{Harness.Backend.Kind} has no permissions to refuse.");
        }

        var name = Unique("forbidden");
        var reference = Harness.Reference(name, "password");
        Harness.Deny(name);

        var error = await Assert.ThrowsAsync<SecretAccessDeniedException>(() => Harness.Backend.ReadAsync(reference, Ct));
        Assert.False(error.IsTransient);
        await Assert.ThrowsAsync<SecretAccessDeniedException>(() => Harness.Backend.WriteAsync(reference, new SecretValue("never-stored-000000000"), Acme, Ct));
    }

    [Fact]
    public async Task Throttling_is_retried_or_reported_as_transient_and_then_succeeds()
    {
        SkipIfReadOnly();
        if (Harness.Throttle is null)
        {
            Assert.Skip($"{Harness.Backend.Kind} is never throttled.");
        }

        var reference = Harness.Reference(Unique("tenant-acme-db"), "password");
        await Harness.Backend.WriteAsync(reference, new SecretValue("throttled-value-000000000"), Acme, Ct);
        Harness.Throttle(1);

        SecretValue value;
        try
        {
            value = await Harness.Backend.ReadAsync(reference, Ct);
        }
        catch (SecretStoreException e) when (e.IsTransient)
        {
            // Backends without their own retry (Kubernetes) surface throttling as transient; the reconciler retries.
            value = await Harness.Backend.ReadAsync(reference, Ct);
        }

        Assert.Equal("throttled-value-000000000", value.Reveal());
    }

    [Fact]
    public async Task A_secret_the_operator_did_not_create_is_neither_changed_nor_deleted()
    {
        SkipIfReadOnly();
        if (Harness.PutForeign is null)
        {
            Assert.Skip($"{Harness.Backend.Kind} secrets carry no ownership mark.");
        }

        var reference = Harness.Reference(Unique("someone-elses"), "password");
        Harness.PutForeign(reference, "{\"password\":\"theirs-0000000000000\"}");

        await Assert.ThrowsAsync<SecretOwnershipException>(() => Harness.Backend.WriteAsync(reference, new SecretValue("ours-000000000000000"), Acme, Ct));
        Assert.Equal(SecretDeletion.NotOwned, await Harness.Backend.DeleteAsync(reference, Ct));
        Assert.Equal("theirs-0000000000000", (await Harness.Backend.ReadAsync(reference, Ct)).Reveal());
    }

    private void SkipIfReadOnly() => Assert.SkipWhen(Harness.ReadOnly is not null, $"{Harness.Backend.Kind}: {Harness.ReadOnly}");

    private async Task ConcurrentEnsureAsync(ISecretBackend first, ISecretBackend second)
    {
        var reference = Harness.Reference(Unique("tenant-acme-db"), "password");
        var candidates = Enumerable.Range(0, 8).Select(i => new SecretValue($"candidate-{i}-{Guid.NewGuid():N}")).ToArray();

        var results = await Task.WhenAll(candidates.Select((candidate, i) =>
            Task.Run(() => (i % 2 == 0 ? first : second).GetOrCreateAsync(reference, candidate, Acme, Ct), Ct)));

        Assert.Single(results.Select(r => r.Reveal()).Distinct());
        Assert.Contains(results[0], candidates);
        Assert.Equal(results[0], await first.ReadAsync(reference, Ct));
        Assert.Equal(results[0], await second.GetOrCreateAsync(reference, new SecretValue("late-candidate-0000000000"), Acme, Ct));
    }
}
