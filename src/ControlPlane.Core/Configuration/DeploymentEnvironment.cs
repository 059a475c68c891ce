namespace ControlPlane.Core.Configuration;

/// <summary>The deployment stage named by <c>ENVIRONMENT</c> (specification §5).</summary>
public enum DeploymentEnvironment
{
    Dev,
    Staging,
    Prod,
}

/// <summary>Parses <c>ENVIRONMENT</c>; unknown values are refused rather than silently treated as dev.</summary>
public static class DeploymentEnvironments
{
    public const string VariableName = "ENVIRONMENT";

    public static DeploymentEnvironment Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "dev" => DeploymentEnvironment.Dev,
        "staging" => DeploymentEnvironment.Staging,
        "prod" => DeploymentEnvironment.Prod,
        _ => throw new ConfigurationException(
            $"{VariableName} must be one of dev, staging, prod (got '{value}')."),
    };

    public static DeploymentEnvironment FromProcess() =>
        Parse(Environment.GetEnvironmentVariable(VariableName));
}
