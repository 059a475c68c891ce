namespace ControlPlane.Sandbox.Postgres;

/// <summary>The embedded PostgreSQL could not be installed, initialised, started or stopped.</summary>
public sealed class EmbeddedPostgresException(string message) : Exception(message);
