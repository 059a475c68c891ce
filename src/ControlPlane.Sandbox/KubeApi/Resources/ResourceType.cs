using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Resources;

/// <summary>One served resource (a CRD or a built-in kind) and the storage rules kube-apiserver applies to it.</summary>
internal sealed class ResourceType
{
    public required string Group { get; init; }

    public required string Kind { get; init; }

    public required string Plural { get; init; }

    public required string Singular { get; init; }

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public required bool Namespaced { get; init; }

    /// <summary>Served versions, highest kube version priority first (the preferred one).</summary>
    public required IReadOnlyList<ServedVersion> Versions { get; init; }

    /// <summary>Custom resources: PUT needs a resourceVersion, generation is tracked, DELETE returns the object.</summary>
    public bool IsCustom { get; init; }

    public bool HasStatusSubresource { get; init; }

    /// <summary>Leases and Events may be created by PUT; Secrets, Namespaces and custom resources may not.</summary>
    public bool AllowCreateOnUpdate { get; init; }

    /// <summary>TokenReviews are answered, never stored.</summary>
    public bool CreateOnly { get; init; }

    /// <summary>CustomResourceDefinitions come from files at start: they can be read and watched, not written.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The CRD document a custom resource was loaded from (null for built-ins).</summary>
    public JsonObject? Definition { get; init; }

    public IReadOnlyList<string> Verbs => CreateOnly
        ? ["create"]
        : ReadOnly
            ? ["get", "list", "watch"]
            : ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"];

    public string ListKind => Kind + "List";

    /// <summary>The key objects of this resource live under, whatever version they are read in.</summary>
    public string StorageKey => Group + "/" + Plural;

    /// <summary><c>widgets.test.econt.io</c> or <c>secrets</c>: the resource name used in messages.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary><c>Widget.test.econt.io</c> or <c>Secret</c>: the kind used in 422 messages.</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : $"{Kind}.{Group}";

    public string ApiVersion(string version) => Group.Length == 0 ? version : $"{Group}/{version}";

    public ServedVersion? FindVersion(string version) => Versions.FirstOrDefault(v => v.Name == version);
}

/// <summary>A served version with its structural schema (null for built-ins, which are not schema-validated).</summary>
internal sealed record ServedVersion(string Name, JsonObject? Schema, IReadOnlyList<PrinterColumn> PrinterColumns);

/// <summary>An <c>additionalPrinterColumns</c> entry of a CRD version.</summary>
internal sealed record PrinterColumn(string Name, string Type, string JsonPath, int Priority, string Description);
