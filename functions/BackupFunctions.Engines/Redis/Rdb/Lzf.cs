namespace BackupFunctions.Engines.Redis.Rdb;

/// <summary>LZF decompression (liblzf's format), for the compressed strings of an RDB file; keys must be read in full.</summary>
public static class Lzf
{
    public static byte[] Decompress(ReadOnlySpan<byte> input, int length)
    {
        var output = new byte[length];
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int ctrl = input[ip++];
            if (ctrl < 32)
            {
                int run = ctrl + 1; // literal run
                if (ip + run > input.Length || op + run > length)
                {
                    throw new InvalidDataException("LZF data is corrupt (literal run past the end)");
                }

                input.Slice(ip, run).CopyTo(output.AsSpan(op));
                ip += run;
                op += run;
            }
            else
            {
                int len = ctrl >> 5;
                int back = op - ((ctrl & 0x1f) << 8) - 1;
                if (len == 7)
                {
                    len += ip < input.Length ? input[ip++] : throw new InvalidDataException("LZF data is truncated");
                }

                back -= ip < input.Length ? input[ip++] : throw new InvalidDataException("LZF data is truncated");
                len += 2;
                if (back < 0 || op + len > length)
                {
                    throw new InvalidDataException("LZF data is corrupt (back reference out of range)");
                }

                for (int i = 0; i < len; i++)
                {
                    output[op++] = output[back++]; // may overlap: byte by byte
                }
            }
        }

        return op == length ? output : throw new InvalidDataException($"LZF data decompressed to {op} bytes, expected {length}");
    }
}
