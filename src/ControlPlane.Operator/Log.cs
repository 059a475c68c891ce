namespace ControlPlane.Operator;

/// <summary>Every log message of the operator, source-generated, with stable event ids. Never pass a secret here.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Operator listening on port {Port}; catalog {Catalog}")]
    public static partial void Starting(ILogger logger, int port, string catalog);
}
