using System.Diagnostics;
using System.Text;

namespace ControlPlane.Sandbox.Postgres;

/// <summary>Runs the PostgreSQL tools, dropping root privileges because PostgreSQL refuses to run as root.</summary>
internal static class ProcessRunner
{
    /// <summary>The uid/gid that PostgreSQL runs as when this process is root (nobody/nogroup).</summary>
    internal const int UnprivilegedId = 65534;

    internal static bool MustDropPrivileges => Environment.IsPrivilegedProcess && OperatingSystem.IsLinux();

    internal static async Task<string> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        bool dropPrivileges,
        CancellationToken cancellationToken,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };

        if (dropPrivileges && MustDropPrivileges)
        {
            start.FileName = "setpriv";
            foreach (var argument in (string[])[$"--reuid={UnprivilegedId}", $"--regid={UnprivilegedId}", "--clear-groups", fileName])
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await Task.WhenAll(stdout, stderr);
        if (process.ExitCode != 0)
        {
            throw new EmbeddedPostgresException(
                $"{Path.GetFileName(fileName)} exited with code {process.ExitCode}: {Tail(output.ToString())}");
        }

        return output.ToString();
    }

    internal static void ChangeOwner(string path)
    {
        if (!MustDropPrivileges)
        {
            return;
        }

        // chown -R keeps this dependency-free; the directories are small and ours.
        using var chown = Process.Start("chown", ["-R", $"{UnprivilegedId}:{UnprivilegedId}", path]);
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new EmbeddedPostgresException($"chown of {path} to uid {UnprivilegedId} failed.");
        }
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder sink)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (sink)
            {
                sink.AppendLine(line);
            }
        }
    }

    private static string Tail(string text) => text.Length <= 2000 ? text.Trim() : "…" + text[^2000..].Trim();
}
