using ControlPlane.Runtime;

namespace ControlPlane.Operator.Hosting;

/// <summary>The informer settings every controller of the operator uses (Tenant, SchemaRollout, TenantDatabaseServer): written once.</summary>
internal static class OperatorInformers
{
    public static InformerSettings Settings(OperatorOptions options) =>
        new(options.WatchTimeout, InformerSettings.DefaultWatchBackoff, options.ListPageSize, options.WatchFailureRelistAfter);
}
