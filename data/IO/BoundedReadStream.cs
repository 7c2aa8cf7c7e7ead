namespace LatentEbm.Data.IO;

/// <summary>
/// A read-only window of <c>length</c> bytes of another stream, from its current position: reads end
/// there even when the inner stream goes on (so a decompressor never reads the next element).
/// Leaves the inner stream open.
/// </summary>
internal sealed class BoundedReadStream(Stream inner, long length) : Stream
{
    private readonly long total = length;
    private long remaining = length;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => total - remaining; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (remaining <= 0 || buffer.IsEmpty) return 0;
        int read = inner.Read(buffer[..(int)Math.Min(buffer.Length, remaining)]);
        remaining -= read;
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
