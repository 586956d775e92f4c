using System.Text;
using Hiroi.Shared.Contacts;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Privacy;

/// <summary>The upload check reads UTF-8 however the body is split into reads, and refuses what is not UTF-8.</summary>
[Lane(Lanes.Unit)]
public class Utf8CheckedStreamTests
{
    /// <summary>Hands out at most <paramref name="chunk"/> bytes per read, as a network body may.</summary>
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, 7);
        return copy.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Multibyte_characters_split_across_reads_pass_whole(int chunk)
    {
        var text = Encoding.UTF8.GetBytes("name,phone\nJosé 東京 👩‍💻,+12125550100\n");

        Assert.Equal(text, await ReadAllAsync(new Utf8CheckedStream(new Trickle(text, chunk))));
    }

    [Theory]
    [InlineData(new byte[] { 0x61, 0xC3, 0x28 })]
    [InlineData(new byte[] { 0x61, 0xFF })]
    [InlineData(new byte[] { 0x61, 0xE6, 0x9D })] // a sequence cut off at the end of the file
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // an encoded surrogate
    public async Task Invalid_utf8_is_a_file_error(byte[] bytes)
    {
        await Assert.ThrowsAsync<ContactFileException>(() => ReadAllAsync(new Utf8CheckedStream(new Trickle(bytes, 1))));
    }
}
