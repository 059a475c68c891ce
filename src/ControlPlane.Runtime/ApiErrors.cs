using System.Net;
using k8s.Autorest;

namespace ControlPlane.Runtime;

/// <summary>Classifies API failures by HTTP status; reasons inside the Status body are not needed for these decisions.</summary>
public static class ApiErrors
{
    public static bool IsConflict(Exception e) => StatusOf(e) == HttpStatusCode.Conflict;

    public static bool IsNotFound(Exception e) => StatusOf(e) == HttpStatusCode.NotFound;

    public static bool IsGone(Exception e) => StatusOf(e) == HttpStatusCode.Gone;

    private static HttpStatusCode? StatusOf(Exception e) => (e as HttpOperationException)?.Response?.StatusCode;
}
