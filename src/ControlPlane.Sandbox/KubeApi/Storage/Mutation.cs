using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Storage;

/// <summary>What a write decided under the store lock: store an object, remove it, or leave the stored one as it is.</summary>
internal abstract record Mutation
{
    public sealed record Put(JsonObject Object) : Mutation;

    public sealed record Remove(JsonObject FinalState) : Mutation;

    public sealed record Keep : Mutation;
}
