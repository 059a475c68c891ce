using System.Text.RegularExpressions;

namespace ControlPlane.Sandbox.KubeApi.Faults;

/// <summary>A path glob where <c>*</c> matches any run of characters, slashes included; everything else is literal.</summary>
internal static class PathPattern
{
    public static Regex Compile(string pattern) =>
        new("^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant);
}
