namespace ControlPlane.Core.Configuration;

/// <summary>
/// Invalid configuration found at start-up. Messages are shown to operators as they are,
/// so they must say what to do and must never contain a credential.
/// </summary>
public sealed class ConfigurationException(string message) : Exception(message);
