using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets;

/// <summary>A store that serves reads from memory and can be told that a value changed elsewhere (another process rotated it).</summary>
public interface ISecretCache
{
    /// <summary>Drops the cached value of <paramref name="reference"/>; the next read goes to the backend.</summary>
    void Invalidate(SecretReference reference);
}
