using System.Collections.Concurrent;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using BackupFunctions.Engines;

namespace BackupFunctions.Activities.Configuration;

/// <summary>
/// Resolves ConnectionSecret names from Key Vault (SecretClient with DefaultAzureCredential: the
/// managed identity on Azure, az login locally). Values are cached for a short TTL so a rotated
/// secret is picked up without a restart. Errors name the secret and the fix, never the value.
/// </summary>
public sealed class SecretResolver
{
    /// <summary>How long a fetched value is reused: short, so rotation takes effect within minutes.</summary>
    public static TimeSpan DefaultTtl { get; } = TimeSpan.FromMinutes(5);

    private readonly SecretClient _client;
    private readonly TokenCredential _credential;
    private readonly SecretClientOptions _options;
    private readonly Uri _vault;
    private readonly TimeProvider _time;
    private readonly TimeSpan _ttl;
    private readonly ConcurrentDictionary<string, (string Value, DateTimeOffset FetchedAt)> _cache = new(StringComparer.Ordinal);

    public SecretResolver(Uri vault, TokenCredential credential, SecretClientOptions options, TimeProvider time, TimeSpan ttl)
    {
        _vault = vault;
        _credential = credential;
        _options = options;
        _client = new SecretClient(vault, credential, options);
        _time = time;
        _ttl = ttl;
    }

    /// <summary>The resolver for Backup:KeyVaultUri, or null when none is configured.</summary>
    public static SecretResolver? For(BackupOptions options, TimeProvider time)
    {
        if (options.KeyVaultUri is null)
        {
            return null;
        }

        var clientOptions = new SecretClientOptions();
        clientOptions.Retry.MaxRetries = 3;
        return new SecretResolver(new Uri(options.KeyVaultUri), new DefaultAzureCredential(), clientOptions, time, DefaultTtl);
    }

    /// <summary>A client for Key Vault keys with this resolver's credential and transport (the managed identity on Azure).</summary>
    public KeyVaultKeyClient KeyClient() => new(_credential, _options);

    /// <summary>The secret's current value. <paramref name="key"/> is the configuration key that named it, for messages.</summary>
    public async Task<string> GetAsync(string name, string key, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(name, out var cached) && now - cached.FetchedAt < _ttl)
        {
            return cached.Value;
        }

        string where = $"Key Vault {_vault.Host}";
        try
        {
            var secret = await _client.GetSecretAsync(name, cancellationToken: cancellationToken);
            string value = secret.Value.Value ?? throw new BackupConfigurationException($"{key}: secret '{name}' in {where} has no value");
            _cache[name] = (value, now);
            return value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new BackupConfigurationException($"{key}: secret '{name}' not found in {where} (create it, or fix the name in {key})", e);
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            throw new EngineException(FailureKind.Authentication,
                $"{key}: access to secret '{name}' in {where} was denied (HTTP {e.Status}; grant the app's identity the Key Vault Secrets User role)", e);
        }
        catch (AuthenticationFailedException e)
        {
            throw new EngineException(FailureKind.Authentication,
                $"{key}: could not get a token for {where}: {e.Message.Split('\n')[0]} (a managed identity on Azure, or az login locally)", e);
        }
        catch (RequestFailedException e)
        {
            throw new EngineException(FailureKind.Unavailable, $"{key}: cannot read secret '{name}' from {where}: HTTP {e.Status} {e.ErrorCode}", e);
        }
    }
}
