using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines.Redis;
using BackupFunctions.Vault.Pipeline;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging.Abstractions;

// scripts/bench.sh helper. Each mode prints one line: "<mode> seconds=<s> ..." for the script to parse.
//   naive-upload FILE BLOB        upload a finished file with the SDK's defaults (the naive way's last step)
//   pipeline-null COMPRESSION     stdin -> hash -> compress -> hash -> discard (no upload): dump+compress bound
//   upload-only BYTES             BYTES of random data through the block uploader to Azurite: upload bound
//                                 (knobs BENCH_BLOCK_MB, BENCH_IN_FLIGHT, BENCH_SINK: see UploadSinks.cs)
//   crc64 MB                      CPU cost of the SDK's per-block CRC64 (and a vectorized CRC-64 for reference)
//   backup-only CONFIG TARGET     the backup stage alone (BackupDatabase activity: dump -> pipeline -> Azurite),
//                                 without the verify and restore-test that `backupfn backup` runs after it
//   restore-only CONFIG ID TARGET  the restore stage alone (RestoreDatabaseActivity: download -> checks -> pg_restore) into
//                                 TARGET, no safety backup (the destination database is new)
//   verify-only CONFIG ID         the verify stage alone (VerifyBackupActivity)
//   download-sha CONFIG ID        the backup's data blob downloaded and SHA-256 hashed, nothing else: verify's floor
//   redis-dump-null CONNECTION    the Redis replication dump (SYNC, RDB walk for counts and CRC64) into nothing
//   codec VARIANT                 stdin -> SHA-256 -> one codec variant -> count (brotli, gzip, zstd-L, zstd-L-mtN)
//   create-container              make the bench container (BENCH_CONTAINER), nothing else
//   delete-container              drop the bench container (BENCH_CONTAINER)
string storage = Environment.GetEnvironmentVariable("BENCH_STORAGE") ?? "UseDevelopmentStorage=true";
string containerName = Environment.GetEnvironmentVariable("BENCH_CONTAINER") ?? "bench";
var container = new BlobContainerClient(storage, containerName, BlobVault.ClientOptions());
await container.CreateIfNotExistsAsync();
var clock = Stopwatch.StartNew();
switch (args.ElementAtOrDefault(0))
{
    case "naive-upload":
        await container.GetBlobClient(args[2]).UploadAsync(args[1], overwrite: false);
        Console.WriteLine(FormattableString.Invariant($"naive-upload seconds={clock.Elapsed.TotalSeconds:F2} bytes={new FileInfo(args[1]).Length}"));
        break;

    case "pipeline-null":
        var kind = Compression.Parse(args[1]) ?? throw new ArgumentException($"unknown compression {args[1]}");
        await using (var pipeline = new BackupPipeline(new NullSink(), kind))
        {
            await Console.OpenStandardInput().CopyToAsync(pipeline.Input, 256 * 1024);
            var r = await pipeline.CompleteAsync(new Dictionary<string, string>(), CancellationToken.None);
            Console.WriteLine(FormattableString.Invariant($"pipeline-null seconds={clock.Elapsed.TotalSeconds:F2} raw={r.RawBytes} stored={r.StoredBytes}"));
        }

        break;

    case "codec":
        // codec VARIANT < FILE: SHA-256 of the raw bytes, then one compressor variant into a counter (no pipeline, no
        // upload): brotli (q1), gzip (fastest), zstd-L (level L), zstd-L-mtN (level L on N zstd worker threads).
        var counter = new CountingNullStream();
        long rawBytes;
        await using (var compressor = CodecVariant(args[1], counter))
        {
            await using var hashing = new HashingStream(compressor, leaveOpen: true);
            await Console.OpenStandardInput().CopyToAsync(hashing, 256 * 1024);
            hashing.FinishHash();
            rawBytes = hashing.BytesCount;
        }

        double cpuSeconds = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant($"codec seconds={clock.Elapsed.TotalSeconds:F2} raw={rawBytes} stored={counter.Bytes} cpu={cpuSeconds:F2}"));
        break;

    case "upload-only":
        long total = long.Parse(args[1], CultureInfo.InvariantCulture);
        var vault = new BlobVault(container, new ImmutabilityOptions { Mode = ImmutabilityMode.Off }, TimeProvider.System, NullLogger.Instance);
        var chunk = new byte[1024 * 1024];
        new Random(1).NextBytes(chunk);
        // Knobs (UploadSinks.cs): BENCH_BLOCK_MB, BENCH_IN_FLIGHT, BENCH_SINK=sdk|sdk-nocrc|http.
        string uploadName = $"upload-only/{Guid.NewGuid():N}";
        var uploadOptions = UploadKnobs.Options();
        await using (var pipeline = UploadKnobs.BenchSink(container, uploadName) is { } benchSink
            ? new BackupPipeline(benchSink, CompressionKind.None, uploadOptions)
            : vault.OpenDataWriter(uploadName, CompressionKind.None, uploadOptions))
        {
            for (long sent = 0; sent < total; sent += chunk.Length)
            {
                chunk[0]++; // no two blocks alike
                await pipeline.Input.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, total - sent)));
            }

            await pipeline.CompleteAsync(new Dictionary<string, string>(), CancellationToken.None);
        }

        Console.WriteLine(FormattableString.Invariant(
            $"upload-only seconds={clock.Elapsed.TotalSeconds:F2} bytes={total} cpu={Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F2} sink={UploadKnobs.Sink} block={uploadOptions.BlockSize} inflight={uploadOptions.MaxInFlight}"));
        break;

    case "crc64":
        // crc64 MB: CPU cost of the SDK's per-block StorageCrc64 (table-driven) over MB of 8 MiB blocks, next to
        // System.IO.Hashing's vectorized CRC-64 (another polynomial: a speed reference, not a substitute).
        var crcBlock = new byte[8 * 1024 * 1024];
        new Random(1).NextBytes(crcBlock);
        int crcRounds = int.Parse(args[1], CultureInfo.InvariantCulture) / 8;
        var sdkClock = Stopwatch.StartNew();
        for (int i = 0; i < crcRounds; i++)
        {
            var sdkCrc = Azure.Storage.StorageCrc64HashAlgorithm.Create();
            sdkCrc.Append(crcBlock);
            sdkCrc.GetCurrentHash();
        }

        double sdkSeconds = sdkClock.Elapsed.TotalSeconds;
        var refClock = Stopwatch.StartNew();
        for (int i = 0; i < crcRounds; i++)
        {
            System.IO.Hashing.Crc64.HashToUInt64(crcBlock);
        }

        Console.WriteLine(FormattableString.Invariant(
            $"crc64 mb={crcRounds * 8} sdk_seconds={sdkSeconds:F3} sdk_mbps={crcRounds * 8 / sdkSeconds:F0} ref_seconds={refClock.Elapsed.TotalSeconds:F3} ref_mbps={crcRounds * 8 / refClock.Elapsed.TotalSeconds:F0}"));
        break;

    case "backup-only":
        var runtime = Runtime(args[1]);
        var backup = await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput(args[2]), null, CancellationToken.None);
        Console.WriteLine(FormattableString.Invariant(
            $"backup-only seconds={clock.Elapsed.TotalSeconds:F2} raw={backup.RawBytes} stored={backup.StoredBytes} id={backup.BackupId} own_cpu={OwnCpu():F2}"));
        break;

    case "restore-only":
        var restoring = Runtime(args[1]);
        var restored = await restoring.RestoreDatabaseActivity().RunAsync(
            new RestoreDatabaseInput(args[2], args[3], Replace: false, SafetyBackup: false), null, CancellationToken.None);
        Console.WriteLine(FormattableString.Invariant($"restore-only seconds={clock.Elapsed.TotalSeconds:F2} counts_match={restored.CountsMatch} own_cpu={OwnCpu():F2}"));
        return restored.CountsMatch ? 0 : 1;

    case "verify-only":
        var verifying = Runtime(args[1]);
        var verified = await verifying.VerifyBackupActivity().RunAsync(args[2], null, CancellationToken.None);
        Console.WriteLine(FormattableString.Invariant($"verify-only seconds={clock.Elapsed.TotalSeconds:F2} ok={verified.IsOk} own_cpu={OwnCpu():F2}"));
        return verified.IsOk ? 0 : 1;

    case "download-sha":
        // The largest blob of the backup's folder is its data blob (the others are the manifest and check records).
        var store = BackupConfiguration.Load(args[1]).Storage;
        var holder = new BlobContainerClient(store.Connection, store.Container, BlobVault.ClientOptions());
        var largest = holder.GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None).Where(b => b.Name.Contains(args[2], StringComparison.Ordinal)).MaxBy(b => b.Properties.ContentLength)
                      ?? throw new InvalidOperationException($"no blob of {args[2]}");
        clock.Restart();
        // One streamed GET, as the product's reader does (OpenRead's 4 MiB ranged reads cost Azurite about twice the CPU);
        // BENCH_RANGED=1 for those.
        await using (var download = Environment.GetEnvironmentVariable("BENCH_RANGED") == "1"
                         ? await holder.GetBlobClient(largest.Name).OpenReadAsync(new Azure.Storage.Blobs.Models.BlobOpenReadOptions(false))
                         : (await holder.GetBlobClient(largest.Name).DownloadStreamingAsync()).Value.Content)
        {
            byte[] digest = await System.Security.Cryptography.SHA256.HashDataAsync(download);
            Console.WriteLine(FormattableString.Invariant(
                $"download-sha seconds={clock.Elapsed.TotalSeconds:F2} bytes={largest.Properties.ContentLength} sha256={Convert.ToHexString(digest)[..16]} own_cpu={OwnCpu():F2}"));
        }

        break;

    case "redis-dump-null":
        var counting = new CountingNullStream();
        var dump = await new RedisEngine(RedisEngine.Replication).DumpAsync(args[1], counting, CancellationToken.None);
        Console.WriteLine(FormattableString.Invariant($"redis-dump-null seconds={clock.Elapsed.TotalSeconds:F2} raw={counting.Bytes} keys={dump.Stats.Counts.Where(p => !p.Key.Contains('/', StringComparison.Ordinal)).Sum(p => p.Value)}"));
        break;

    case "create-container": // made above, as every mode does
        break;

    case "delete-container":
        await container.DeleteIfExistsAsync();
        break;

    default:
        Console.Error.WriteLine("usage: backupfn-bench naive-upload FILE BLOB | pipeline-null COMPRESSION | upload-only BYTES");
        return 2;
}

return 0;

static BackupRuntime Runtime(string configFile) => BackupRuntime.Create(BackupConfiguration.Load(configFile), TimeProvider.System, NullLoggerFactory.Instance);

static double OwnCpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

static Stream CodecVariant(string variant, Stream output)
{
    string[] parts = variant.Split('-');
    return parts switch
    {
        ["zstd", var level] => Compression.Zstd(output, int.Parse(level, CultureInfo.InvariantCulture), workers: 0),
        ["zstd", var level, var mt] when mt.StartsWith("mt", StringComparison.Ordinal) =>
            Compression.Zstd(output, int.Parse(level, CultureInfo.InvariantCulture), int.Parse(mt[2..], CultureInfo.InvariantCulture)),
        _ => Compression.Compressor(Compression.Parse(variant) ?? throw new ArgumentException($"unknown codec variant {variant}"), output),
    };
}

/// <summary>Accepts blocks and forgets them: measures everything in the pipeline but the upload.</summary>
internal sealed class NullSink : IBlockSink
{
    public Task StageBlockAsync(string blockId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CommitAsync(IReadOnlyList<string> blockIds, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Counts what is written and keeps nothing.</summary>
internal sealed class CountingNullStream : Stream
{
    public long Bytes { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Bytes;
    public override long Position { get => Bytes; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Bytes += count;

    public override void Write(ReadOnlySpan<byte> buffer) => Bytes += buffer.Length;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Bytes += buffer.Length;
        return ValueTask.CompletedTask;
    }
}
