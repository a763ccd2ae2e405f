using System.Text.RegularExpressions;

namespace BackupFunctions.Engines.Files;

/// <summary>
/// Removes secrets from a command's output before it is logged or shown: given values (the connection, any known
/// secret), URL passwords (<c>scheme://user:***@</c>), <c>key=value</c> or <c>key: value</c> pairs whose key names a
/// secret (password, pwd, secret, token, api key, access/account key, sig), and bearer tokens.
/// </summary>
internal static partial class OutputRedactor
{
    public const string Mask = "***";

    public static string Redact(string line, IEnumerable<string?> secrets)
    {
        foreach (string? secret in secrets)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                line = line.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        line = UrlPassword().Replace(line, "$1:" + Mask + "@");
        line = SecretPair().Replace(line, "$1$2" + Mask);
        return Bearer().Replace(line, "$1" + Mask);
    }

    [GeneratedRegex(@"([a-z][a-z0-9+.\-]*://[^/\s:@]+):[^@/\s]+@", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"\b((?:[a-z_\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|account[_\-]?key))|sig)(\s*[=:]\s*)(?:""[^""]*""|'[^']*'|[^\s;,&""']+)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretPair();

    [GeneratedRegex(@"(\bbearer\s+)[A-Za-z0-9._~+/=\-]+", RegexOptions.IgnoreCase)]
    private static partial Regex Bearer();
}
