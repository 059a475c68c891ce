namespace ControlPlane.Sandbox.Postgres;

/// <summary>How to run one embedded PostgreSQL server.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>Folder that holds this server's data, socket and log; created if missing.</summary>
    public required string InstanceDirectory { get; init; }

    /// <summary>Folder with <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>; by default PostgreSQL 17 from the npm cache.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one (retried if another process takes it first).</summary>
    public int Port { get; init; }

    /// <summary>
    /// Throw-away servers (tests) trade durability for speed: no fsync, and the instance folder
    /// is deleted on dispose. Durable servers (the dev database) keep their data.
    /// </summary>
    public bool Ephemeral { get; init; } = true;

    public int MaxConnections { get; init; } = 200;

    /// <summary>
    /// More server settings, passed as <c>-c name=value</c> (e.g. <c>ssl=on</c> with <c>ssl_cert_file</c> and
    /// <c>ssl_key_file</c> for a TLS test server). Values must not contain spaces.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
