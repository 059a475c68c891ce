using System.Diagnostics;
using System.Text;

namespace ControlPlane.Operator.Tests;

/// <summary>
/// Runs the built operator executable as a child process, as a platform engineer or a container would,
/// with an environment of the test's choosing (never the test host's own variables of that name).
/// </summary>
internal static class OperatorProcess
{
    public sealed record Outcome(int ExitCode, string Output);

    public static async Task<Outcome> RunAsync(
        IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "controlplane.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in (string[])["CONTROL_PLANE_DATABASE_URL", "ENVIRONMENT", "CONTROL_PLANE_DEV_DIR"])
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var readers = new[] { process.StandardOutput, process.StandardError }.Select(async reader =>
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        });
        await process.WaitForExitAsync(cancellationToken);
        await Task.WhenAll(readers);
        return new Outcome(process.ExitCode, output.ToString());
    }
}
