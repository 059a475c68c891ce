namespace ControlPlane.Store.Preflight;

/// <summary>What the preflight learned about a server.</summary>
/// <param name="VersionNumber">The server's <c>server_version_num</c>, e.g. 170010.</param>
/// <param name="Version">The server's <c>server_version</c>, e.g. "17.10".</param>
/// <param name="PgcryptoAvailable">Whether <c>CREATE EXTENSION pgcrypto</c> can succeed.</param>
public sealed record ServerFacts(int VersionNumber, string Version, bool PgcryptoAvailable);
