using System.Diagnostics;

namespace ControlPlane.Sandbox.Postgres;

/// <summary>Whether a process id names a running process.</summary>
public static class ProcessLiveness
{
    /// <summary>
    /// A stopped postmaster is re-parented to init and may linger as a zombie until reaped;
    /// /proc tells zombies apart, which <see cref="Process.HasExited"/> does not for foreign processes.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // Format: "pid (comm) S ..."; comm may contain spaces, so read the state after the last ')'.
                var text = File.ReadAllText(stat);
                var state = text[(text.LastIndexOf(')') + 2)..][0];
                return state is not ('Z' or 'X');
            }
            catch (IOException)
            {
                return false;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
