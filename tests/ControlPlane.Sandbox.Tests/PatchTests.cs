using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Patching;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class PatchTests
{
    [Theory]
    [InlineData("""{"a":1,"b":{"c":2}}""", """{"b":{"c":null,"d":3},"e":[1]}""", """{"a":1,"b":{"d":3},"e":[1]}""")]
    [InlineData("""{"a":[1,2]}""", """{"a":[3]}""", """{"a":[3]}""")]
    [InlineData("""{"a":1}""", """{"a":{"b":1}}""", """{"a":{"b":1}}""")]
    public void Merge_patch_follows_rfc_7386(string target, string patch, string expected) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), MergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch))));

    [Theory]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"add","path":"/a/c","value":2}]""", """{"a":{"b":1,"c":2}}""")]
    [InlineData("""{"l":[1,2]}""", """[{"op":"add","path":"/l/1","value":9},{"op":"add","path":"/l/-","value":3}]""", """{"l":[1,9,2,3]}""")]
    [InlineData("""{"a":1,"b":2}""", """[{"op":"remove","path":"/a"},{"op":"replace","path":"/b","value":5}]""", """{"b":5}""")]
    [InlineData("""{"a":{"x":1},"b":{}}""", """[{"op":"move","from":"/a/x","path":"/b/y"}]""", """{"a":{},"b":{"y":1}}""")]
    [InlineData("""{"a":[1]}""", """[{"op":"copy","from":"/a","path":"/c"},{"op":"test","path":"/c/0","value":1}]""", """{"a":[1],"c":[1]}""")]
    [InlineData("""{"m":{"a/b":1,"c~d":2}}""", """[{"op":"remove","path":"/m/a~1b"},{"op":"replace","path":"/m/c~0d","value":3}]""", """{"m":{"c~d":3}}""")]
    public void Json_patch_follows_rfc_6902(string target, string patch, string expected) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonPatch.Apply(JsonNode.Parse(target)!, JsonNode.Parse(patch))));

    [Theory]
    [InlineData("""[{"op":"test","path":"/a","value":2}]""", 422)]
    [InlineData("""[{"op":"remove","path":"/missing"}]""", 422)]
    [InlineData("""[{"op":"jump","path":"/a"}]""", 400)]
    [InlineData("""{"op":"add"}""", 400)]
    public void A_json_patch_that_cannot_apply_is_refused(string patch, int code) =>
        Assert.Equal(code, Assert.Throws<ApiException>(() => JsonPatch.Apply(JsonNode.Parse("""{"a":1}""")!, JsonNode.Parse(patch))).Code);
}
