using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using BackupFunctions.Engines;

namespace BackupFunctions.Activities.Configuration;

/// <summary>
/// The two Key Vault key operations envelope encryption needs, over the REST API (api-version 7.5): GET the key
/// (its public part, as a JWK) once per process, and POST unwrapkey (RSA-OAEP-256). Wrapping is done here with the
/// public key, so a backup costs no Key Vault call. The feed has no Azure.Security.KeyVault.Keys, so this speaks
/// the documented wire format through Azure.Core's pipeline (bearer token for https://vault.azure.net/.default,
/// retries, the same transport as the secrets client). Errors name the key and the fix, never key material.
/// </summary>
public sealed class KeyVaultKeyClient(TokenCredential credential, ClientOptions options)
{
    private const string ApiVersion = "7.5";

    // Public keys by key URL: fetched once per process (rotation: a new version is picked up on restart, and
    // each backup records the version it was wrapped for, so old backups unwrap with their own version).
    private static readonly ConcurrentDictionary<string, (RSA Key, string Kid)> PublicKeys = new(StringComparer.Ordinal);

    private readonly HttpPipeline _pipeline = HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(credential, "https://vault.azure.net/.default"));

    /// <summary>A client with DefaultAzureCredential (the managed identity on Azure, az login locally).</summary>
    public static KeyVaultKeyClient Default()
    {
        var options = new Azure.Security.KeyVault.Secrets.SecretClientOptions();
        options.Retry.MaxRetries = 3;
        return new KeyVaultKeyClient(new DefaultAzureCredential(), options);
    }

    /// <summary>The key's public RSA key and its versioned id (kid).</summary>
    public async Task<(RSA Key, string Kid)> PublicKeyAsync(string keyUrl, string setting, CancellationToken cancellationToken)
    {
        if (PublicKeys.TryGetValue(keyUrl, out var cached))
        {
            return cached;
        }

        var json = await SendAsync(RequestMethod.Get, $"{keyUrl.TrimEnd('/')}?api-version={ApiVersion}", null, keyUrl, setting, "get", cancellationToken);
        var jwk = json["key"] ?? throw new BackupConfigurationException($"{setting}: Key Vault returned no key for {keyUrl}");
        if (jwk["kty"]?.GetValue<string>() is not ("RSA" or "RSA-HSM"))
        {
            throw new BackupConfigurationException($"{setting}: {keyUrl} is not an RSA key (create it with: az keyvault key create --kty RSA --size 3072)");
        }

        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = Base64Url(jwk["n"]), Exponent = Base64Url(jwk["e"]) });
        EnvelopeKeys.RequireSize(rsa, setting);
        string kid = jwk["kid"]?.GetValue<string>() ?? keyUrl;
        return PublicKeys.GetOrAdd(keyUrl, (rsa, kid));
    }

    /// <summary>Unwraps a data key with the key version <paramref name="kid"/> (Key Vault's unwrapKey permission).</summary>
    public async Task<byte[]> UnwrapAsync(string kid, byte[] wrapped, string setting, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["alg"] = EnvelopeKeys.Wrap, ["value"] = Base64UrlEncode(wrapped) };
        var json = await SendAsync(RequestMethod.Post, $"{kid.TrimEnd('/')}/unwrapkey?api-version={ApiVersion}", body, kid, setting, "unwrapKey", cancellationToken);
        return Base64Url(json["value"]);
    }

    private async Task<JsonNode> SendAsync(RequestMethod method, string url, JsonNode? body, string key, string setting, string operation, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri(url));
        message.Request.Headers.Add("Accept", "application/json");
        if (body is not null)
        {
            message.Request.Headers.Add("Content-Type", "application/json");
            message.Request.Content = RequestContent.Create(BinaryData.FromString(body.ToJsonString()));
        }

        try
        {
            await _pipeline.SendAsync(message, cancellationToken);
        }
        catch (AuthenticationFailedException e)
        {
            throw new EngineException(FailureKind.Authentication,
                $"{setting}: could not get a token for Key Vault: {e.Message.Split('\n')[0]} (a managed identity on Azure, or az login locally)", e);
        }
        catch (RequestFailedException e)
        {
            throw new EngineException(FailureKind.Unavailable, $"{setting}: cannot reach Key Vault for {key}: {e.Message.Split('\n')[0]}", e);
        }

        var response = message.Response;
        string code = ErrorCode(response);
        return response.Status switch
        {
            200 => JsonNode.Parse(response.Content.ToString()) ?? throw new EngineException(FailureKind.Unavailable, $"{setting}: empty answer from Key Vault for {key}"),
            401 or 403 => throw new EngineException(FailureKind.Authentication,
                $"{setting}: Key Vault denied {operation} on {key} (HTTP {response.Status}; grant the identity '{(operation == "get" ? "Key Vault Crypto Service Encryption User" : "Key Vault Crypto User")}' on the key)"),
            404 => throw new BackupConfigurationException($"{setting}: key {key} not found in Key Vault (create it, or fix {setting})"),
            400 when operation == "unwrapKey" => throw new EngineException(FailureKind.Corrupt,
                $"Key Vault could not unwrap the data key with {key} ({code}): the backup's wrapped key was altered, or it was wrapped for another key"),
            _ => throw new EngineException(FailureKind.Unavailable, $"{setting}: Key Vault answered HTTP {response.Status} {code} for {operation} on {key}"),
        };
    }

    private static string ErrorCode(Response response)
    {
        try
        {
            return JsonNode.Parse(response.Content.ToString())?["error"]?["code"]?.GetValue<string>() ?? "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static byte[] Base64Url(JsonNode? value)
    {
        string text = value?.GetValue<string>() ?? throw new JsonException("missing base64url value");
        string padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
