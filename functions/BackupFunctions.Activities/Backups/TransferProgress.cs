namespace BackupFunctions.Activities.Backups;

/// <summary>Progress of one transfer: bytes so far of an expected total (null when unknown), for bytes/rate/ETA displays.</summary>
public sealed record TransferProgress(string Stage, long Bytes, long? Total);
