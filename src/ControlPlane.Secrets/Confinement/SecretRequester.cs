namespace ControlPlane.Secrets.Confinement;

/// <summary>Who asks the operator to read a secret on its behalf: a Tenant, by its namespace and <c>metadata.name</c>.</summary>
public sealed record SecretRequester(string Namespace, string Name);
