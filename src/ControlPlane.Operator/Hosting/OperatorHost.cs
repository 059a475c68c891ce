using Npgsql;

namespace ControlPlane.Operator.Hosting;

/// <summary>Builds the operator's web host: probes now; the controllers and resolver plug in here.</summary>
internal static class OperatorHost
{
    public static WebApplication Build(int port, CatalogDatabase database, NpgsqlDataSource dataSource)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(options => options.IncludeScopes = true);
        builder.Services.AddSingleton(dataSource);

        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (NpgsqlDataSource catalog, CancellationToken cancellationToken) =>
        {
            try
            {
                await using var command = catalog.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return Results.Text("ready");
            }
            catch (NpgsqlException)
            {
                return Results.Text("catalog database unreachable", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });

        Log.Starting(app.Logger, port, database.Description);
        return app;
    }
}
