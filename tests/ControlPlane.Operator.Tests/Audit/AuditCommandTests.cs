using System.Text.Json;
using ControlPlane.Operator.Audit;
using ControlPlane.Operator.Commands;

namespace ControlPlane.Operator.Tests.Audit;

/// <summary>What the <c>audit</c> command prints and how it exits, for a given report.</summary>
public sealed class AuditCommandTests
{
    private static readonly Guid Row = Guid.Parse("6f1c1a52-5a8e-4f7e-9f59-3c2a8f0b1d11");

    private static readonly AuditFinding Problem = new(AuditFindingKinds.RowWithoutDatabase, "database acme on server default", Row,
        "Tenant acme is active but its server holds no database with its mark.", "Restore the database from backup.");

    private static readonly AuditFinding Notice = new(AuditFindingKinds.RetainedData, "database old on server default", Row,
        "Kept for deleted tenant old by deletionPolicy Retain.", "Keep it while needed.");

    [Fact]
    public void A_report_with_a_problem_exits_1_and_names_the_finding_its_row_and_the_suggested_action()
    {
        var report = new AuditReport([Problem, Notice], 1, 1, 1, 1, null);

        var text = AuditCommand.FormatText(report);

        Assert.Equal(1, AuditCommand.ExitCodeOf(report));
        Assert.Contains($"FOUND   RowWithoutDatabase: database acme on server default (tenant {Row})", text, StringComparison.Ordinal);
        Assert.Contains("suggested: Restore the database from backup.", text, StringComparison.Ordinal);
        Assert.Contains("notice  RetainedData: database old on server default", text, StringComparison.Ordinal);
        Assert.EndsWith("Estate audit: 1 problem(s). Nothing was changed.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Notices_alone_exit_0_and_what_could_not_be_checked_is_said()
    {
        var report = new AuditReport([Notice], 0, 1, 1, 0, "the vault secret backend cannot be listed");

        var text = AuditCommand.FormatText(report);

        Assert.Equal(0, AuditCommand.ExitCodeOf(report));
        Assert.Contains("Not checked: the vault secret backend cannot be listed.", text, StringComparison.Ordinal);
        Assert.EndsWith("Estate consistent (1 notice(s)). Nothing was changed.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_carries_every_finding_with_its_kind_row_and_action()
    {
        using var json = JsonDocument.Parse(AuditCommand.FormatJson(new AuditReport([Problem], 3, 0, 2, 3, null)));
        var root = json.RootElement;

        Assert.False(root.GetProperty("clean").GetBoolean());
        Assert.Equal((3, 2), (root.GetProperty("live_rows").GetInt32(), root.GetProperty("servers").GetInt32()));
        var finding = Assert.Single(root.GetProperty("findings").EnumerateArray());
        Assert.Equal(AuditFindingKinds.RowWithoutDatabase, finding.GetProperty("kind").GetString());
        Assert.True(finding.GetProperty("problem").GetBoolean());
        Assert.Equal(Row, finding.GetProperty("tenant_id").GetGuid());
        Assert.Equal("Restore the database from backup.", finding.GetProperty("action").GetString());
    }
}
