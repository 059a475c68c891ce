using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Caching;
using ControlPlane.Secrets.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ControlPlane.Secrets.Tests;

public sealed class CachingSecretStoreTests
{
    private static readonly SecretReference Acme = SecretReference.Parse("mock:acme");
    private static readonly SecretOwner Owner = new("acme");
    private readonly FakeTimeProvider _clock = new();
    private readonly SlowStore _backend = new();

    [Fact]
    public async Task Concurrent_readers_of_one_key_share_a_single_backend_fetch()
    {
        using var cache = Cache();
        _backend.Values["mock:acme"] = "value-1";
        _backend.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var readers = Enumerable.Range(0, 50).Select(_ => cache.ReadAsync(Acme, TestContext.Current.CancellationToken)).ToList();
        _backend.Gate.SetResult();
        var values = await Task.WhenAll(readers);

        Assert.All(values, v => Assert.Equal("value-1", v.Reveal()));
        Assert.Equal(1, _backend.Reads);
    }

    [Fact]
    public async Task A_value_is_served_from_memory_until_the_ttl_passes()
    {
        using var cache = Cache();
        _backend.Values["mock:acme"] = "value-1";
        var ct = TestContext.Current.CancellationToken;

        await cache.ReadAsync(Acme, ct);
        _backend.Values["mock:acme"] = "changed-elsewhere";
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("value-1", (await cache.ReadAsync(Acme, ct)).Reveal());

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("changed-elsewhere", (await cache.ReadAsync(Acme, ct)).Reveal());
        Assert.Equal(2, _backend.Reads);
    }

    [Fact]
    public async Task Writes_rotations_and_deletes_through_the_store_invalidate_the_entry()
    {
        using var cache = Cache();
        var ct = TestContext.Current.CancellationToken;
        _backend.Values["mock:acme"] = "value-1";
        await cache.ReadAsync(Acme, ct);

        await cache.WriteAsync(Acme, new SecretValue("value-2"), Owner, ct);
        Assert.Equal("value-2", (await cache.ReadAsync(Acme, ct)).Reveal());

        var rotated = await cache.RotatePasswordAsync(Acme, Owner, ct);
        Assert.Equal(rotated, await cache.ReadAsync(Acme, ct));

        await cache.DeleteAsync(Acme, ct);
        await Assert.ThrowsAsync<SecretNotFoundException>(() => cache.ReadAsync(Acme, ct));
    }

    [Fact]
    public async Task Failures_are_not_cached()
    {
        using var cache = Cache();
        var ct = TestContext.Current.CancellationToken;

        await Assert.ThrowsAsync<SecretNotFoundException>(() => cache.ReadAsync(Acme, ct));
        _backend.Values["mock:acme"] = "value-1";

        Assert.Equal("value-1", (await cache.ReadAsync(Acme, ct)).Reveal());
    }

    [Fact]
    public async Task One_reader_giving_up_does_not_fail_the_others_waiting_on_the_same_fetch()
    {
        using var cache = Cache();
        _backend.Values["mock:acme"] = "value-1";
        _backend.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var impatient = new CancellationTokenSource();

        var first = cache.ReadAsync(Acme, impatient.Token);
        var second = cache.ReadAsync(Acme, TestContext.Current.CancellationToken);
        await impatient.CancelAsync();
        _backend.Gate.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal("value-1", (await second).Reveal());
        Assert.Equal(1, _backend.Reads);
    }

    private CachingSecretStore Cache() => new(_backend, Options.Create(new SecretStoreOptions()), _clock);

    /// <summary>An in-memory store whose reads can be held at a gate, and which counts the reads that reach it.</summary>
    private sealed class SlowStore : ISecretStore
    {
        private int _reads;

        public Dictionary<string, string> Values { get; } = [];

        public TaskCompletionSource? Gate { get; set; }

        public int Reads => _reads;

        public async Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            if (Gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            lock (Values)
            {
                return Values.TryGetValue(reference.ToString(), out var value)
                    ? new SecretValue(value)
                    : throw new SecretNotFoundException("absent", reference);
            }
        }

        public Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken)
        {
            lock (Values)
            {
                Values[reference.ToString()] = value.Reveal();
            }

            return Task.CompletedTask;
        }

        public Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken)
        {
            lock (Values)
            {
                return Task.FromResult(Values.Remove(reference.ToString()) ? SecretDeletion.Deleted : SecretDeletion.NotFound);
            }
        }

        public async Task<SecretValue> EnsureGeneratedPasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken) =>
            await ReadAsync(reference, cancellationToken);

        public async Task<SecretValue> RotatePasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken)
        {
            var value = new PasswordGenerator().Generate();
            await WriteAsync(reference, value, owner, cancellationToken);
            return value;
        }
    }
}
