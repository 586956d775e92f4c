using System.Security.Cryptography;
using Hiroi.Shared.Secrets;

namespace Hiroi.Tests.Security;

/// <summary>Secrets held in memory; counts reads so a test can show that garbage costs none.</summary>
internal sealed class InMemorySecretStore : ISecretStore
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public int Reads { get; private set; }

    public string? this[string name]
    {
        set
        {
            if (value is null)
            {
                _values.Remove(name);
            }
            else
            {
                _values[name] = value;
            }
        }
    }

    public Task<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        Reads++;
        return Task.FromResult(_values.TryGetValue(name, out var value) ? value : null);
    }
}

internal static class TestKeys
{
    public static byte[] New(int bytes = 32) => RandomNumberGenerator.GetBytes(bytes);

    public static string Entry(string id, byte[] key) => id + ":" + Convert.ToBase64String(key);
}

/// <summary>
/// A forward-only stream: Length, Position and Seek throw, so code that buffers the whole blob or rewinds fails. Records
/// the largest single read asked for, and how much of <see cref="Source"/> had been read when 100 KiB had been written.
/// </summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    private const int Milestone = 100 * 1024;

    /// <summary>For an output stream: the input whose progress is noted when the output passes 100 KiB.</summary>
    public ForwardOnlyStream? Source { get; init; }

    public long BytesRead { get; private set; }

    public long BytesWritten { get; private set; }

    public int LargestReadRequested { get; private set; }

    public long? SourceBytesReadAt100KiBWritten { get; private set; }

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException("Length was asked of a forward-only stream.");

    public override long Position
    {
        get => throw new NotSupportedException("Position was asked of a forward-only stream.");
        set => throw new NotSupportedException("Position was set on a forward-only stream.");
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("Seek on a forward-only stream.");

    public override void SetLength(long value) => throw new NotSupportedException("SetLength on a forward-only stream.");

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        LargestReadRequested = Math.Max(LargestReadRequested, buffer.Length);
        var read = inner.Read(buffer);
        BytesRead += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        LargestReadRequested = Math.Max(LargestReadRequested, buffer.Length);
        // Hand out at most 1000 bytes at a time, as a network stream would, so callers must loop.
        var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, 1000)], cancellationToken);
        BytesRead += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        NoteWrite(buffer.Length);
        inner.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        NoteWrite(buffer.Length);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void NoteWrite(int count)
    {
        BytesWritten += count;
        if (BytesWritten >= Milestone && SourceBytesReadAt100KiBWritten is null)
        {
            SourceBytesReadAt100KiBWritten = Source?.BytesRead;
        }
    }
}
