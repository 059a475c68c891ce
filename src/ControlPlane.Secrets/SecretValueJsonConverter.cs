using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlPlane.Secrets;

/// <summary>
/// Serializes a <see cref="SecretValue"/> as <c>"***"</c> and refuses to deserialize one: a secret never
/// travels through JSON of ours (status, events, logs); backends that must send it build the body explicitly.
/// </summary>
public sealed class SecretValueJsonConverter : JsonConverter<SecretValue>
{
    public override SecretValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new JsonException("Secret values are not read from JSON; resolve them through ISecretStore.");

    public override void Write(Utf8JsonWriter writer, SecretValue value, JsonSerializerOptions options) =>
        writer.WriteStringValue(SecretValue.Redacted);
}
