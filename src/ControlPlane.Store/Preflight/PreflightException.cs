namespace ControlPlane.Store.Preflight;

/// <summary>The server cannot host the control plane. The message is one line that says what to do.</summary>
public sealed class PreflightException(string message) : Exception(message);
