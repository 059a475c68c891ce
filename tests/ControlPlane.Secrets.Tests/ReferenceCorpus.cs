using System.Text;

namespace ControlPlane.Secrets.Tests;

/// <summary>
/// Generated secret references for the grammar's property tests: valid ones from each backend's rules, and
/// the same ones with a forbidden fragment spliced in at a random place. Seeded, so failures reproduce.
/// </summary>
internal static class ReferenceCorpus
{
    public static readonly string[] ForbiddenFragments =
    [
        "://", "@", " ", "\t", "\n", "\r", "password=", "PASSWORD=", "passwd=", "Pwd=", "secret=", "token=", "Token=",
        "apikey", "ApiKey", "api_key", "API-KEY", "hvs.", "HVS.",
    ];

    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Digits = "0123456789";

    public static IReadOnlyList<string> Valid(int seed, int count)
    {
        var random = new Random(seed);
        var result = new List<string>(count);
        while (result.Count < count)
        {
            var candidate = random.Next(7) switch
            {
                4 => $"aws:{Chars(random, Lower, 2, 2)}{string.Concat(Enumerable.Range(0, random.Next(1, 3)).Select(_ => "-" + Chars(random, Lower, 1, 9)))}-{Chars(random, Digits, 1, 2)}/{string.Join('/', Enumerable.Range(0, random.Next(1, 4)).Select(_ => AwsSegment(random)))}#{Chars(random, "-._" + Lower + Upper + Digits, 1, 12)}",
                5 => $"gcp:{Chars(random, Lower, 1, 1)}{Chars(random, "-" + Lower + Digits, 4, 28)}{Chars(random, Lower + Digits, 1, 1)}/{Chars(random, "_-" + Lower + Upper + Digits, 1, 40)}#{Chars(random, "-._" + Lower + Upper + Digits, 1, 12)}",
                6 => $"azure:{Chars(random, Lower + Upper, 1, 1)}{Chars(random, "-" + Lower + Upper + Digits, 1, 22)}{Chars(random, Lower + Upper + Digits, 1, 1)}/{Chars(random, "-" + Lower + Upper + Digits, 1, 40)}#{Chars(random, "-._" + Lower + Upper + Digits, 1, 12)}",
                0 => $"k8s:{DnsLabel(random, 20)}/{string.Join('.', Enumerable.Range(0, random.Next(1, 4)).Select(_ => DnsLabel(random, 15)))}#{Chars(random, "-._" + Lower + Upper + Digits, 1, 12)}",
                1 => $"vault:{Chars(random, "_-" + Lower + Upper + Digits, 1, 8)}/{string.Join('/', Enumerable.Range(0, random.Next(1, 5)).Select(_ => VaultSegment(random)))}#{Chars(random, "-._" + Lower + Upper + Digits, 1, 12)}",
                2 => $"env:{Chars(random, "_" + Upper, 1, 1)}{Chars(random, "_" + Upper + Digits, 0, 15)}",
                _ => $"mock:{Chars(random, Lower + Digits, 1, 1)}{Chars(random, "._-" + Lower + Digits, 0, 15)}",
            };

            // The generator knows nothing of the keyword rule; drop the rare draw that spells a keyword by chance.
            if (!ForbiddenFragments.Any(f => candidate.Contains(f, StringComparison.OrdinalIgnoreCase)))
            {
                result.Add(candidate);
            }
        }

        return result;
    }

    public static IReadOnlyList<string> WithForbiddenFragment(int seed, IReadOnlyList<string> valid)
    {
        var random = new Random(seed);
        return valid.Select(value =>
        {
            var fragment = ForbiddenFragments[random.Next(ForbiddenFragments.Length)];
            return value.Insert(random.Next(value.Length + 1), fragment);
        }).ToList();
    }

    private static string DnsLabel(Random random, int maxLength)
    {
        const string inner = "-" + Lower + Digits;
        var length = random.Next(1, maxLength + 1);
        if (length == 1)
        {
            return Chars(random, Lower + Digits, 1, 1);
        }

        return Chars(random, Lower + Digits, 1, 1) + Chars(random, inner, length - 2, length - 2) + Chars(random, Lower + Digits, 1, 1);
    }

    private static string VaultSegment(Random random) =>
        Chars(random, "_-" + Lower + Upper + Digits, 1, 1) + Chars(random, "._-" + Lower + Upper + Digits, 0, 10);

    private static string AwsSegment(Random random) =>
        Chars(random, "_+-" + Lower + Upper + Digits, 1, 1) + Chars(random, "._+-" + Lower + Upper + Digits, 0, 10);

    private static string Chars(Random random, string alphabet, int min, int max)
    {
        var builder = new StringBuilder();
        var length = random.Next(min, max + 1);
        for (var i = 0; i < length; i++)
        {
            builder.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return builder.ToString();
    }
}
