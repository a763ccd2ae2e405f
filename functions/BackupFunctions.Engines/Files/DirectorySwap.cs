namespace BackupFunctions.Engines.Files;

/// <summary>
/// The directory moves of a files restore: a staging directory beside the destination (same file system, so each
/// move is one rename), the swap, and the removal of a tree that may hold read-only directories.
/// </summary>
internal static class DirectorySwap
{
    /// <summary>A new private directory beside <paramref name="destination"/>, named after it and <paramref name="purpose"/>.</summary>
    public static string CreateBeside(string destination, string purpose)
    {
        string parent = Path.GetDirectoryName(destination)!;
        string staging = Path.Combine(parent, $".{Path.GetFileName(destination)}.{purpose}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return staging;
    }

    /// <summary>
    /// Puts <paramref name="staging"/> where <paramref name="destination"/> is; the old one is moved aside first and removed
    /// after (what cannot be removed stays as .NAME.replaced-*), or moved back if the swap fails.
    /// </summary>
    public static void Swap(string staging, string destination)
    {
        if (!Directory.Exists(destination))
        {
            Directory.Move(staging, destination);
            return;
        }

        string old = CreateBeside(destination, "replaced");
        Directory.Delete(old);
        Directory.Move(destination, old);
        try
        {
            Directory.Move(staging, destination);
        }
        catch
        {
            Directory.Move(old, destination);
            throw;
        }

        try
        {
            DeleteTree(old);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The restore is done; what could not be removed of the old tree stays beside it, named .NAME.replaced-*.
        }
    }

    /// <summary>Removes a directory tree without following links; read-only directories in it are made writable first.</summary>
    public static void DeleteTree(string path)
    {
        var root = new DirectoryInfo(path);
        if (!root.Exists || root.LinkTarget is not null)
        {
            return;
        }

        foreach (var d in root.EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }).Prepend(root))
        {
            if (d.LinkTarget is null)
            {
                d.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            }
        }

        root.Delete(recursive: true);
    }
}
