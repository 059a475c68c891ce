namespace ControlPlane.Core.Secrets;

/// <summary>
/// A string is not a secret reference. The message names the rule that failed and shows the grammar;
/// it never repeats the input, which might be a password pasted in the wrong place.
/// </summary>
public sealed class SecretReferenceException(string message) : FormatException(message);
