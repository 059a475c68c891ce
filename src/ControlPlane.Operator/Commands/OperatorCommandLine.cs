using System.CommandLine;

namespace ControlPlane.Operator.Commands;

/// <summary>The operator executable's commands. With no command it runs the operator.</summary>
internal static class OperatorCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("econt control plane: Tenant operator, catalog migrations and tools.");
        var run = RunCommand.Create();
        root.Subcommands.Add(run);
        root.Subcommands.Add(RunCommand.CreateSandbox());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(HealthCommand.Create());
        root.Subcommands.Add(ResolveCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(RotateAdminPasswordCommand.Create());
        root.Options.Add(RunCommand.PortOption);
        root.Action = run.Action;
        return root;
    }
}
