using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BackupFunctions.Engines.Files;

/// <summary>
/// Opens a file for the backup only when it is a regular file. A FIFO would block an ordinary open forever and a
/// socket cannot be opened at all, and .NET does not tell them from files; so on Linux the file is opened
/// non-blocking (no effect on a regular file) and kept only when seekable. Elsewhere an ordinary open is used.
/// </summary>
internal static partial class RegularFiles
{
    private const int ReadOnly = 0;
    private const int NonBlocking = 0x800; // O_NONBLOCK: the same on Linux x64 and arm64
    private const int CloseOnExec = 0x80000; // O_CLOEXEC: likewise
    private const int NoSuchDeviceOrAddress = 6; // ENXIO: a socket
    private const int NoSuchFile = 2; // ENOENT
    private const int PermissionDenied = 13; // EACCES

    /// <summary>What opening found: the stream of a regular file, or why there is none.</summary>
    public enum Outcome
    {
        Opened,
        NotRegular,
        Vanished,
    }

    public static (Outcome Outcome, FileStream? Stream) Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            try
            {
                return (Outcome.Opened, new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0));
            }
            catch (FileNotFoundException)
            {
                return (Outcome.Vanished, null);
            }
            catch (UnauthorizedAccessException e)
            {
                throw Denied(path, e);
            }
        }

        int fd = NativeOpen(path, ReadOnly | NonBlocking | CloseOnExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno switch
            {
                NoSuchDeviceOrAddress => (Outcome.NotRegular, null),
                NoSuchFile => (Outcome.Vanished, null),
                PermissionDenied => throw Denied(path, null),
                _ => throw new IOException($"cannot open '{path}' (errno {errno})"),
            };
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        FileStream stream;
        try
        {
            stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        if (!stream.CanSeek)
        {
            stream.Dispose();
            return (Outcome.NotRegular, null);
        }

        return (Outcome.Opened, stream);
    }

    private static EngineException Denied(string path, Exception? inner) =>
        new(FailureKind.Configuration, $"cannot read '{path}': permission denied (run as a user that can read it, or Exclude it)", inner);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags);
}
