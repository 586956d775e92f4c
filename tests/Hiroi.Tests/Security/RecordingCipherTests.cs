using System.Security.Cryptography;
using Hiroi.Shared.Security;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Security;

[Lane(Lanes.Unit)]
public class RecordingCipherTests
{
    private const int Segment = RecordingCipher.SegmentSize;
    private const int Tag = 16;
    private const int Header = 17;
    private const string Context = "org_0123456789abcdef0123/call_1/doc_1";

    private readonly byte[] _kek = TestKeys.New();

    private static byte[] RandomBytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<(byte[] Ciphertext, WrappedDataKey Key)> EncryptAsync(byte[] plaintext, string context = Context, byte[]? kek = null)
    {
        using var output = new MemoryStream();
        var key = await RecordingCipher.EncryptAsync(new MemoryStream(plaintext), output, kek ?? _kek, "kek1", context, CancellationToken.None);
        return (output.ToArray(), key);
    }

    private async Task<byte[]> DecryptAsync(byte[] ciphertext, WrappedDataKey key, string context = Context, byte[]? kek = null)
    {
        using var output = new MemoryStream();
        await RecordingCipher.DecryptAsync(new MemoryStream(ciphertext), output, key, kek ?? _kek, context, CancellationToken.None);
        return output.ToArray();
    }

    private async Task AssertRejectedAsync(byte[] ciphertext, WrappedDataKey key, string context = Context, byte[]? kek = null) =>
        await Assert.ThrowsAnyAsync<CryptographicException>(() => DecryptAsync(ciphertext, key, context, kek));

    private static int SealedSegmentOffset(int index) => Header + (index * (Segment + Tag));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Segment - 1)]
    [InlineData(Segment)]
    [InlineData(Segment + 1)]
    [InlineData(2 * Segment)]
    [InlineData(3 * 1024 * 1024)]
    public async Task Recordings_of_any_size_round_trip(int size)
    {
        var plaintext = RandomBytes(size);

        var (ciphertext, key) = await EncryptAsync(plaintext);

        var segments = Math.Max(1, (size + Segment - 1) / Segment);
        Assert.Equal(Header + size + (segments * Tag), ciphertext.Length);
        Assert.Equal(plaintext, await DecryptAsync(ciphertext, key));
        Assert.Equal("kek1", key.KeyEncryptionKeyId);
    }

    [Fact]
    public async Task Each_encryption_uses_a_fresh_data_key_and_nonces()
    {
        var plaintext = RandomBytes(100);

        var (first, firstKey) = await EncryptAsync(plaintext);
        var (second, secondKey) = await EncryptAsync(plaintext);

        Assert.NotEqual(first, second);
        Assert.NotEqual(firstKey.WrappedKey.ToArray(), secondKey.WrappedKey.ToArray());
        Assert.NotEqual(firstKey.Nonce.ToArray(), secondKey.Nonce.ToArray());
        Assert.DoesNotContain(plaintext[..16], SplitWindows(first, 16));
    }

    private static IEnumerable<byte[]> SplitWindows(byte[] bytes, int size)
    {
        for (var i = 0; i + size <= bytes.Length; i++)
        {
            yield return bytes[i..(i + size)];
        }
    }

    [Fact]
    public async Task Changing_any_byte_of_a_small_blob_is_detected()
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes(20));

        for (var i = 0; i < ciphertext.Length; i++)
        {
            var tampered = (byte[])ciphertext.Clone();
            tampered[i] ^= 0x01;
            await AssertRejectedAsync(tampered, key);
        }
    }

    [Fact]
    public async Task Changing_bytes_anywhere_in_a_large_blob_is_detected()
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes((3 * Segment) + 500));
        var positions = new HashSet<int>();
        for (var i = 0; i < Header; i++)
        {
            positions.Add(i);
        }

        for (var segment = 0; segment < 4; segment++)
        {
            var start = SealedSegmentOffset(segment);
            positions.UnionWith([start, start + 1, start + 100, Math.Min(start + Segment, ciphertext.Length - Tag)]);
        }

        positions.UnionWith([ciphertext.Length - Tag, ciphertext.Length - 1]);
        var random = new Random(7);
        for (var i = 0; i < 40; i++)
        {
            positions.Add(random.Next(ciphertext.Length));
        }

        foreach (var position in positions)
        {
            var tampered = (byte[])ciphertext.Clone();
            tampered[position] ^= 0x80;
            await AssertRejectedAsync(tampered, key);
        }
    }

    [Fact]
    public async Task Dropping_the_last_segment_is_detected()
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes((2 * Segment) + 10));

        // What remains is two well-formed full segments, but neither was sealed as the final one.
        await AssertRejectedAsync(ciphertext[..SealedSegmentOffset(2)], key);
    }

    [Fact]
    public async Task Dropping_the_last_segment_of_an_exact_multiple_is_detected()
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes(2 * Segment));

        await AssertRejectedAsync(ciphertext[..SealedSegmentOffset(1)], key);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(Tag)]
    [InlineData(Tag + 1)]
    public async Task Cutting_bytes_off_the_end_is_detected(int cut)
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes(Segment + 100));

        await AssertRejectedAsync(ciphertext[..^cut], key);
    }

    [Fact]
    public async Task A_header_alone_or_nothing_is_detected()
    {
        var (ciphertext, key) = await EncryptAsync([]);

        await AssertRejectedAsync(ciphertext[..Header], key);
        await AssertRejectedAsync(ciphertext[..5], key);
        await AssertRejectedAsync([], key);
    }

    [Fact]
    public async Task Swapping_two_segments_is_detected()
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes((3 * Segment) + 10));
        var swapped = (byte[])ciphertext.Clone();
        var first = ciphertext.AsSpan(SealedSegmentOffset(0), Segment + Tag);
        var second = ciphertext.AsSpan(SealedSegmentOffset(1), Segment + Tag);
        second.CopyTo(swapped.AsSpan(SealedSegmentOffset(0)));
        first.CopyTo(swapped.AsSpan(SealedSegmentOffset(1)));

        await AssertRejectedAsync(swapped, key);
    }

    [Fact]
    public async Task Appending_a_segment_or_bytes_is_detected()
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes(Segment));

        await AssertRejectedAsync([.. ciphertext, .. ciphertext[SealedSegmentOffset(0)..]], key);
        await AssertRejectedAsync([.. ciphertext, 0], key);
    }

    [Fact]
    public async Task Segments_from_another_blob_under_the_same_key_are_detected()
    {
        var plaintext = RandomBytes((2 * Segment) + 10);
        var (ciphertext, key) = await EncryptAsync(plaintext);
        var (other, _) = await EncryptAsync(plaintext);
        var spliced = (byte[])ciphertext.Clone();
        other.AsSpan(SealedSegmentOffset(1), Segment + Tag).CopyTo(spliced.AsSpan(SealedSegmentOffset(1)));

        await AssertRejectedAsync(spliced, key);
    }

    [Fact]
    public async Task Another_context_cannot_decrypt()
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes(1000));

        await AssertRejectedAsync(ciphertext, key, context: "org_0123456789abcdef0123/call_1/doc_2");
        await AssertRejectedAsync(ciphertext, key, context: Context + " ");
    }

    [Fact]
    public async Task Another_kek_cannot_decrypt()
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes(1000));

        await AssertRejectedAsync(ciphertext, key, kek: TestKeys.New());
    }

    [Fact]
    public async Task Another_blobs_wrapped_key_cannot_decrypt()
    {
        var (ciphertext, _) = await EncryptAsync(RandomBytes(1000));
        var (_, otherKey) = await EncryptAsync(RandomBytes(1000));

        await AssertRejectedAsync(ciphertext, otherKey);
    }

    [Fact]
    public async Task A_wrapped_key_relabelled_with_another_kek_id_is_rejected()
    {
        var (ciphertext, key) = await EncryptAsync(RandomBytes(1000));
        var relabelled = new WrappedDataKey("kek2", key.Nonce, key.WrappedKey);

        await AssertRejectedAsync(ciphertext, relabelled);
    }

    [Fact]
    public async Task Encryption_streams_through_forward_only_streams_in_bounded_reads()
    {
        var plaintext = RandomBytes(3 * 1024 * 1024);
        var input = new ForwardOnlyStream(new MemoryStream(plaintext));
        var sink = new MemoryStream();
        var output = new ForwardOnlyStream(sink) { Source = input };

        var key = await RecordingCipher.EncryptAsync(input, output, _kek, "kek1", Context, CancellationToken.None);

        Assert.Equal(plaintext.Length, input.BytesRead);
        Assert.InRange(input.LargestReadRequested, 1, Segment);
        // Ciphertext went out long before the input was consumed: nothing buffered the whole recording.
        Assert.InRange(output.SourceBytesReadAt100KiBWritten!.Value, 1, 4L * Segment);

        var encrypted = new ForwardOnlyStream(new MemoryStream(sink.ToArray()));
        var decryptedSink = new MemoryStream();
        var decrypted = new ForwardOnlyStream(decryptedSink) { Source = encrypted };
        await RecordingCipher.DecryptAsync(encrypted, decrypted, key, _kek, Context, CancellationToken.None);

        Assert.Equal(plaintext, decryptedSink.ToArray());
        Assert.InRange(encrypted.LargestReadRequested, 1, Segment + Tag);
        Assert.InRange(decrypted.SourceBytesReadAt100KiBWritten!.Value, 1, 4L * (Segment + Tag));
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            RecordingCipher.EncryptAsync(new MemoryStream(RandomBytes(10)), new MemoryStream(), _kek, "kek1", Context, cancelled.Token));
    }

    [Fact]
    public async Task Bad_arguments_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            RecordingCipher.EncryptAsync(new MemoryStream(), new MemoryStream(), TestKeys.New(16), "kek1", Context, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            RecordingCipher.EncryptAsync(new MemoryStream(), new MemoryStream(), _kek, "bad id", Context, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            RecordingCipher.EncryptAsync(new MemoryStream(), new MemoryStream(), _kek, "kek1", "", CancellationToken.None));
    }

    [Fact]
    public async Task The_wrapped_key_survives_blob_metadata()
    {
        var plaintext = RandomBytes(5000);
        var (ciphertext, key) = await EncryptAsync(plaintext);

        var value = key.ToMetadataValue();

        Assert.Matches("^v1\\.kek1\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{64}$", value);
        Assert.True(WrappedDataKey.TryParse(value, out var parsed));
        Assert.Equal(plaintext, await DecryptAsync(ciphertext, parsed));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1")]
    [InlineData("v2.kek1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("v1.kek1.AAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("v1.kek1.AAAAAAAAAAAAAAAA.AAAA")]
    [InlineData("v1.bad id.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("v1.kek1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.x")]
    [InlineData("v1.kek1.!!!!!!!!!!!!!!!!.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Malformed_metadata_does_not_parse(string? value) => Assert.False(WrappedDataKey.TryParse(value, out _));
}
