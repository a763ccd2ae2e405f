using System.Globalization;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>Byte counts as people read them: 1023 B, 1.5 KiB, 2.0 GiB (binary units, one decimal, invariant culture).</summary>
internal static class ByteSize
{
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Format(CultureInfo.InvariantCulture, "{0:F1} {1}", value, units[unit]);
    }
}
