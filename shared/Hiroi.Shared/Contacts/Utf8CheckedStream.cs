using System.Text;

namespace Hiroi.Shared.Contacts;

/// <summary>
/// Passes an uploaded file through while checking that it is UTF-8: invalid bytes are a
/// <see cref="ContactFileException"/> (400), where a lenient reader would quietly turn them into U+FFFD and the row
/// into an import error the uploader cannot explain. A sequence split across reads is checked whole.
/// </summary>
public sealed class Utf8CheckedStream(Stream inner) : Stream
{
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
    private readonly char[] _scratch = new char[4096];
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Check(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Check(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Check(ReadOnlySpan<byte> bytes)
    {
        try
        {
            // Convert (not GetCharCount, which keeps no state) carries a sequence split across reads into the next one;
            // an empty read is the end, where an unfinished sequence is invalid.
            var rest = bytes;
            do
            {
                _decoder.Convert(rest, _scratch, flush: bytes.IsEmpty, out var used, out _, out _);
                rest = rest[used..];
            }
            while (!rest.IsEmpty);
        }
        catch (DecoderFallbackException e)
        {
            throw new ContactFileException($"The file is not UTF-8 text (an invalid byte near offset {_position + Math.Max(0, e.Index)}).", e);
        }

        _position += bytes.Length;
        return bytes.Length;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
