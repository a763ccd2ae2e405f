namespace BackupFunctions.Streams;

// Linked into BackupFunctions.Engines and BackupFunctions.Vault (see their .csproj): each has
// forward-only streams, neither references the other, and neither should. So each assembly carries
// its own copy of these three types. Only streams in those two projects derive from them; a project
// that references both and names one of these types gets CS0433 (ambiguous), which is the sign to
// move this file into a project of its own.

/// <summary>A stream that only moves forward: no seeking, no length, no settable position.</summary>
public abstract class ForwardOnlyStream : Stream
{
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A forward-only stream that is only read: a subclass implements Read and, where it has one, its async path.</summary>
public abstract class ReadOnlyStream : ForwardOnlyStream
{
    public override bool CanRead => true;
    public override bool CanWrite => false;
    public override void Flush() { }
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A forward-only stream that is only written: a subclass implements Write and, where it has one, its async path.</summary>
public abstract class WriteOnlyStream : ForwardOnlyStream
{
    public override bool CanRead => false;
    public override bool CanWrite => true;
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
