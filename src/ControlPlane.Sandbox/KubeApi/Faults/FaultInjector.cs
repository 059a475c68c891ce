using System.Text.RegularExpressions;

namespace ControlPlane.Sandbox.KubeApi.Faults;

/// <summary>Failures a test arms: the next N requests matching a verb and a path glob are answered with a status.</summary>
internal sealed class FaultInjector
{
    private readonly Lock _lock = new();
    private readonly List<Fault> _faults = [];

    public void Add(string verb, string pathPattern, int statusCode, int count, TimeSpan? retryAfter)
    {
        lock (_lock)
        {
            _faults.Add(new Fault(verb, PathPattern.Compile(pathPattern), statusCode, retryAfter) { Remaining = count });
        }
    }

    /// <summary>Consumes one use of the first armed fault matching the request, if any.</summary>
    public Fault? Take(string verb, string path)
    {
        lock (_lock)
        {
            var fault = _faults.FirstOrDefault(f => (f.Verb == "*" || string.Equals(f.Verb, verb, StringComparison.OrdinalIgnoreCase)) && f.Path.IsMatch(path));
            if (fault is null)
            {
                return null;
            }

            if (--fault.Remaining <= 0)
            {
                _faults.Remove(fault);
            }

            return fault;
        }
    }

    internal sealed record Fault(string Verb, Regex Path, int StatusCode, TimeSpan? RetryAfter)
    {
        public int Remaining { get; set; }
    }
}
