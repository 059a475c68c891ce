using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Http;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class TableViewTests
{
    private static readonly JsonNode Tenant = JsonNode.Parse("""
        {"metadata":{"name":"acme"},"spec":{"tags":["a","b"]},
         "status":{"phase":"Ready","conditions":[{"type":"Degraded","status":"False"},{"type":"Ready","status":"True"}]}}
        """)!;

    [Theory]
    [InlineData(".status.phase", "Ready")]
    [InlineData(".spec.tags[1]", "b")]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", "True")]
    [InlineData("{.status.conditions[?(@.type=='Degraded')].status}", "False")]
    [InlineData(".status.missing", null)]
    [InlineData(".spec.tags[7]", null)]
    public void Printer_column_paths_resolve_like_kubectl_jsonpath(string path, string? expected) =>
        Assert.Equal(expected, TableView.Evaluate(Tenant, path)?.ToString());

    [Theory]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(150, "2m30s")]
    [InlineData(600, "10m")]
    [InlineData(4 * 3600 + 120, "4h2m")]
    [InlineData(20 * 3600, "20h")]
    [InlineData(3 * 86400 + 3600, "3d1h")]
    [InlineData(30 * 86400, "30d")]
    public void Ages_are_printed_as_kubectl_prints_them(int seconds, string expected) =>
        Assert.Equal(expected, TableView.Age(TimeSpan.FromSeconds(seconds)));
}
