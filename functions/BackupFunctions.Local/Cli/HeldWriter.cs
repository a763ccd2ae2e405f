using System.Text;

namespace BackupFunctions.Local.Cli;

/// <summary>
/// Log output that can be held while a live progress display owns the terminal, then written
/// in order when it ends, so log lines never tear the progress bars.
/// </summary>
internal sealed class HeldWriter(TextWriter inner) : TextWriter
{
    private readonly List<string> _held = [];
    private bool _holding;

    public override Encoding Encoding => inner.Encoding;

    public override void WriteLine(string? value)
    {
        lock (_held)
        {
            if (_holding)
            {
                _held.Add(value ?? "");
                return;
            }
        }

        inner.WriteLine(value);
    }

    public override void Write(char value) => inner.Write(value);

    /// <summary>Holds lines until the returned scope is disposed.</summary>
    public IDisposable Hold()
    {
        lock (_held)
        {
            _holding = true;
        }

        return new Release(this);
    }

    private void Flush(bool stopHolding)
    {
        lock (_held)
        {
            _holding = !stopHolding;
            foreach (string line in _held)
            {
                inner.WriteLine(line);
            }

            _held.Clear();
        }
    }

    private sealed class Release(HeldWriter owner) : IDisposable
    {
        public void Dispose() => owner.Flush(stopHolding: true);
    }
}
