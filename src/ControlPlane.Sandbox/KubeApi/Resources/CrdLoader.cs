using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Resources;

/// <summary>Turns <c>apiextensions.k8s.io/v1</c> CustomResourceDefinition files into served resources.</summary>
internal static class CrdLoader
{
    public static IEnumerable<ResourceType> LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        var files = Directory.EnumerateFiles(directory, "*.yaml")
            .Concat(Directory.EnumerateFiles(directory, "*.yml"))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var type in LoadFile(file))
            {
                yield return type;
            }
        }
    }

    public static IEnumerable<ResourceType> LoadFile(string path)
    {
        foreach (var document in YamlJson.ReadDocuments(File.ReadAllText(path)))
        {
            if (document is JsonObject crd && (string?)crd["kind"] == "CustomResourceDefinition")
            {
                yield return Parse(crd, path);
            }
        }
    }

    public static ResourceType Parse(JsonObject crd, string source)
    {
        if ((string?)crd["apiVersion"] != "apiextensions.k8s.io/v1")
        {
            throw new InvalidDataException($"{source}: only apiextensions.k8s.io/v1 CustomResourceDefinitions are supported");
        }

        var spec = crd["spec"] as JsonObject ?? throw new InvalidDataException($"{source}: CRD without spec");
        var names = spec["names"] as JsonObject ?? throw new InvalidDataException($"{source}: CRD without spec.names");
        var group = Required(spec, "group", source);
        var plural = Required(names, "plural", source);
        var versions = (spec["versions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var served = versions.Where(v => (bool?)v["served"] ?? false).ToList();
        if (served.Count == 0)
        {
            throw new InvalidDataException($"{source}: CRD {plural}.{group} serves no version");
        }

        return new ResourceType
        {
            Group = group,
            Kind = Required(names, "kind", source),
            Plural = plural,
            Singular = (string?)names["singular"] ?? Required(names, "kind", source).ToLowerInvariant(),
            ShortNames = Strings(names["shortNames"]),
            Categories = Strings(names["categories"]),
            Namespaced = (string?)spec["scope"] != "Cluster",
            IsCustom = true,
            Definition = (JsonObject)crd.DeepClone(),
            // kube-apiserver enables a subresource per version; the operator's CRDs enable it on all or none.
            HasStatusSubresource = served.Any(v => v["subresources"]?["status"] is not null),
            Versions = served
                .Select(v => new ServedVersion(
                    (string)v["name"]!,
                    v["schema"]?["openAPIV3Schema"]?.DeepClone() as JsonObject,
                    PrinterColumns(v)))
                .OrderBy(v => v.Name, KubeVersionComparer.Instance)
                .ToList(),
        };
    }

    private static List<PrinterColumn> PrinterColumns(JsonObject version) =>
        (version["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => new PrinterColumn(
                (string?)c["name"] ?? string.Empty,
                (string?)c["type"] ?? "string",
                (string?)c["jsonPath"] ?? string.Empty,
                (int?)c["priority"] ?? 0,
                (string?)c["description"] ?? string.Empty))
            .ToList();

    private static string Required(JsonObject node, string field, string source) =>
        (string?)node[field] ?? throw new InvalidDataException($"{source}: CRD is missing {field}");

    private static List<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(n => (string?)n).OfType<string>().ToList();
}
