using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.IntegrationTests.Activities.KeyVault;

/// <summary>
/// FAKE Key Vault, labelled as such: no Key Vault emulator exists. It serves the secrets REST shape
/// SecretClient speaks over HTTPS (a self-signed certificate made here and pinned by the client):
/// the challenge (401 with WWW-Authenticate: Bearer authorization=..., resource=...) before the
/// token, GET /secrets/{name}[/{version}] returning {value, id, attributes}, and the service's error
/// bodies for 404 SecretNotFound and 403 Forbidden. It proves our client code against the wire
/// format, not what the real service would decide.
/// Keys (envelope encryption), after the keys REST reference (api-version 7.5): GET /keys/{name}[/{version}]
/// returning {key: {kid, kty, key_ops, n, e}, attributes} (the public part only), and
/// POST /keys/{name}/{version}/unwrapkey with {alg: "RSA-OAEP-256", value: base64url} returning {kid, value};
/// 403 Forbidden when the identity lacks the operation, 400 BadParameter when the value does not decrypt.
/// </summary>
internal sealed class FakeKeyVault : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;

    private FakeKeyVault(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        _certificate = certificate;
    }

    public ConcurrentDictionary<string, string> Secrets { get; } = new(StringComparer.OrdinalIgnoreCase);
    public ConcurrentDictionary<string, bool> Forbidden { get; } = new(StringComparer.OrdinalIgnoreCase);
    public int SecretReads;

    /// <summary>RSA keys by name (one version each, "v1"); the fake holds the private part, as Key Vault does.</summary>
    public ConcurrentDictionary<string, RSA> Keys { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Operations ("get", "unwrapKey") refused with 403, as RBAC would without the role.</summary>
    public ConcurrentDictionary<string, bool> ForbiddenKeyOperations { get; } = new(StringComparer.Ordinal);

    public int KeyReads;

    private static readonly string[] KeyOperations = ["wrapKey", "unwrapKey"];
    public int Unwraps;

    public Uri Uri => new(_app.Urls.First() + "/");

    public static async Task<FakeKeyVault> StartAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var fake = new FakeKeyVault(app, certificate);
        app.MapGet("/secrets/{name}/{version?}", (string name, HttpContext http) => fake.Serve(name, http));
        app.MapGet("/keys/{name}/{version?}", (string name, HttpContext http) => fake.ServeKey(name, http));
        app.MapPost("/keys/{name}/{version}/unwrapkey", (string name, string version, HttpContext http) => fake.UnwrapAsync(name, version, http));
        await app.StartAsync();
        return fake;
    }

    private IResult Serve(string name, HttpContext http)
    {
        if (Challenge(http) is { } challenge)
        {
            return challenge;
        }

        Interlocked.Increment(ref SecretReads);
        if (Forbidden.ContainsKey(name))
        {
            return Results.Json(new { error = new { code = "Forbidden", message = $"The user, group or application does not have secrets get permission on key vault.", innererror = new { code = "ForbiddenByRbac" } } }, statusCode: 403);
        }

        if (!Secrets.TryGetValue(name, out string? value))
        {
            return Results.Json(new { error = new { code = "SecretNotFound", message = $"A secret with (name/id) {name} was not found in this key vault." } }, statusCode: 404);
        }

        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Results.Json(new
        {
            value,
            id = $"{Uri}secrets/{name}/0123456789abcdef0123456789abcdef",
            attributes = new { enabled = true, created = now, updated = now, recoveryLevel = "Recoverable+Purgeable" },
            tags = new { },
        });
    }

    private static IResult? Challenge(HttpContext http)
    {
        if (http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return null;
        }

        http.Response.Headers.WWWAuthenticate =
            "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", resource=\"https://vault.azure.net\"";
        return Results.Json(new { error = new { code = "Unauthorized", message = "AKV10000: Request is missing a Bearer or PoP token." } }, statusCode: 401);
    }

    private IResult? KeyRefusal(string name, string operation)
    {
        if (ForbiddenKeyOperations.ContainsKey(operation))
        {
            return Results.Json(new { error = new { code = "Forbidden", message = $"The user, group or application does not have keys {operation} permission on key vault.", innererror = new { code = "ForbiddenByRbac" } } }, statusCode: 403);
        }

        return Keys.ContainsKey(name) ? null
            : Results.Json(new { error = new { code = "KeyNotFound", message = $"A key with (name/id) {name} was not found in this key vault." } }, statusCode: 404);
    }

    private IResult ServeKey(string name, HttpContext http)
    {
        if ((Challenge(http) ?? KeyRefusal(name, "get")) is { } refused)
        {
            return refused;
        }

        Interlocked.Increment(ref KeyReads);
        var p = Keys[name].ExportParameters(includePrivateParameters: false);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Results.Json(new
        {
            key = new { kid = $"{Uri}keys/{name}/v1", kty = "RSA", key_ops = KeyOperations, n = Base64Url(p.Modulus!), e = Base64Url(p.Exponent!) },
            attributes = new { enabled = true, created = now, updated = now, recoveryLevel = "Recoverable+Purgeable" },
            tags = new { },
        });
    }

    private async Task<IResult> UnwrapAsync(string name, string version, HttpContext http)
    {
        if ((Challenge(http) ?? KeyRefusal(name, "unwrapKey")) is { } refused)
        {
            return refused;
        }

        Interlocked.Increment(ref Unwraps);
        var body = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body);
        string alg = body.RootElement.GetProperty("alg").GetString()!;
        string value = body.RootElement.GetProperty("value").GetString()!;
        if (alg != "RSA-OAEP-256" || version != "v1")
        {
            return Results.Json(new { error = new { code = "BadParameter", message = $"unsupported alg {alg} or version {version}" } }, statusCode: 400);
        }

        try
        {
            string padded = value.Replace('-', '+').Replace('_', '/');
            byte[] wrapped = Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
            byte[] key = Keys[name].Decrypt(wrapped, RSAEncryptionPadding.OaepSHA256);
            return Results.Json(new { kid = $"{Uri}keys/{name}/v1", value = Base64Url(key) });
        }
        catch (CryptographicException)
        {
            return Results.Json(new { error = new { code = "BadParameter", message = "Decryption failed." } }, statusCode: 400);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Client options that trust exactly this fake's certificate and skip the vault-domain check.</summary>
    public SecretClientOptions ClientOptions()
    {
        var options = new SecretClientOptions { DisableChallengeResourceVerification = true };
        options.Retry.MaxRetries = 0;
        string thumbprint = _certificate.Thumbprint;
#pragma warning disable CA2000 // owned by the transport for the client's lifetime
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == thumbprint };
        options.Transport = new HttpClientTransport(new HttpClient(handler));
#pragma warning restore CA2000
        return options;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
    }
}

/// <summary>A fixed bearer token: the fake does not check it, it only requires one after the challenge.</summary>
internal sealed class FakeTokenCredential : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new("fake-token", DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
