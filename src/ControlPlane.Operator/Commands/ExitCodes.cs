namespace ControlPlane.Operator.Commands;

/// <summary>Process exit codes shared by every command, so scripts can tell outcomes apart.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran and found something wrong (a failed check, a refused request).</summary>
    public const int Failed = 1;

    /// <summary>The command could not run: bad configuration, unreachable or unsuitable database.</summary>
    public const int Error = 2;
}
