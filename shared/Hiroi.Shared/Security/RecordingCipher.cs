using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Hiroi.Shared.Security;

/// <summary>
/// The data key of one encrypted blob, wrapped (AES-256-GCM) under a key-encryption key. Store it as blob metadata
/// (<see cref="MetadataName"/> = <see cref="ToMetadataValue"/>) next to the ciphertext; it is useless without the KEK.
/// </summary>
public sealed class WrappedDataKey
{
    /// <summary>A suggested blob metadata name for <see cref="ToMetadataValue"/>.</summary>
    public const string MetadataName = "hiroi_dek";

    internal const int NonceSize = 12;
    internal const int WrappedSize = RecordingCipher.KeySize + RecordingCipher.TagSize;
    private const string Version = "v1";

    /// <summary>Wrapped key material as produced by <see cref="RecordingCipher.EncryptAsync"/>.</summary>
    /// <param name="keyEncryptionKeyId">Id of the KEK that wrapped the data key.</param>
    /// <param name="nonce">The 12-byte AES-GCM nonce used to wrap.</param>
    /// <param name="wrappedKey">The encrypted 32-byte data key followed by its 16-byte tag.</param>
    public WrappedDataKey(string keyEncryptionKeyId, ReadOnlyMemory<byte> nonce, ReadOnlyMemory<byte> wrappedKey)
    {
        if (!KeyRing.IsKeyId(keyEncryptionKeyId))
        {
            throw new ArgumentException("Key ids are 1 to 32 characters of A-Z a-z 0-9 _ -.", nameof(keyEncryptionKeyId));
        }

        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"The nonce must be {NonceSize} bytes.", nameof(nonce));
        }

        if (wrappedKey.Length != WrappedSize)
        {
            throw new ArgumentException($"The wrapped key must be {WrappedSize} bytes.", nameof(wrappedKey));
        }

        KeyEncryptionKeyId = keyEncryptionKeyId;
        Nonce = nonce.ToArray();
        WrappedKey = wrappedKey.ToArray();
    }

    /// <summary>Id of the key-encryption key that wrapped the data key; decrypt with the key of this id.</summary>
    public string KeyEncryptionKeyId { get; }

    /// <summary>The 12-byte nonce used to wrap the data key.</summary>
    public ReadOnlyMemory<byte> Nonce { get; }

    /// <summary>The encrypted data key (32 bytes) followed by its authentication tag (16 bytes).</summary>
    public ReadOnlyMemory<byte> WrappedKey { get; }

    /// <summary>An ASCII form fit for blob metadata: <c>v1.{kekId}.{base64url nonce}.{base64url wrapped key}</c>.</summary>
    public string ToMetadataValue() =>
        $"{Version}.{KeyEncryptionKeyId}.{Base64Url.EncodeToString(Nonce.Span)}.{Base64Url.EncodeToString(WrappedKey.Span)}";

    /// <summary>Parses <see cref="ToMetadataValue"/>'s output; false for anything else.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out WrappedDataKey? key)
    {
        key = null;
        if (value is null || value.Length > 256)
        {
            return false;
        }

        var parts = value.Split('.');
        if (parts.Length != 4 || parts[0] != Version || !KeyRing.IsKeyId(parts[1]))
        {
            return false;
        }

        if (!CanonicalBase64Url.TryDecode(parts[2], out var nonce) || nonce.Length != NonceSize
            || !CanonicalBase64Url.TryDecode(parts[3], out var wrapped) || wrapped.Length != WrappedSize)
        {
            return false;
        }

        key = new WrappedDataKey(parts[1], nonce, wrapped);
        return true;
    }

    public override string ToString() => "data key wrapped by " + KeyEncryptionKeyId;
}

/// <summary>
/// Envelope encryption for call recordings of any size, streaming in bounded memory (two segments at a time).
/// <para>
/// Each blob gets a fresh random 256-bit data key, wrapped with AES-256-GCM under a 32-byte key-encryption key (KEK)
/// named by an id (see <see cref="RecordingKeyRing"/>). The content is split into 64 KiB plaintext segments, each
/// sealed with AES-256-GCM under the data key.
/// </para>
/// <para>Ciphertext layout: a 17-byte header, then the sealed segments.</para>
/// <list type="bullet">
/// <item>header: <c>"HREC"</c>, version <c>1</c>, segment size (uint32 big-endian), a random 8-byte nonce prefix;</item>
/// <item>segment <c>i</c>: ciphertext then its 16-byte tag; every segment holds a full segment of plaintext except the
/// last, which holds 0 (only when the plaintext is empty) to segment-size bytes;</item>
/// <item>segment nonce: nonce prefix ‖ <c>i</c> (uint32 big-endian);</item>
/// <item>segment associated data: header ‖ <c>i</c> (uint32 big-endian) ‖ final flag (1 byte: 1 on the last segment,
/// else 0) ‖ context (UTF-8).</item>
/// </list>
/// <para>
/// So changing, reordering, dropping, truncating or appending segments, editing the header, or decrypting under another
/// context fails authentication. The wrapped key's associated data binds a label, the KEK id and the context, so the
/// key of one blob cannot be moved to another either.
/// </para>
/// </summary>
public static class RecordingCipher
{
    /// <summary>Plaintext bytes per segment when encrypting.</summary>
    public const int SegmentSize = 64 * 1024;

    internal const int KeySize = 32;
    internal const int TagSize = 16;
    internal const int HeaderSize = 4 + 1 + 4 + NoncePrefixSize;
    private const int NoncePrefixSize = 8;
    private const int NonceSize = 12;
    private const byte FormatVersion = 1;

    // Segment sizes accepted when decrypting, so a header cannot make us allocate without bound.
    private const int MinSegmentSize = 1024;
    private const int MaxSegmentSize = 4 * 1024 * 1024;

    private static ReadOnlySpan<byte> Magic => "HREC"u8;

    private static ReadOnlySpan<byte> WrapLabel => "hiroi.recording.data-key.v1"u8;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> (read to its end, never seeked) into <paramref name="ciphertext"/> under a fresh
    /// data key and returns that key wrapped under <paramref name="kek"/>, to store with the blob.
    /// </summary>
    /// <param name="plaintext">The recording; read sequentially.</param>
    /// <param name="ciphertext">Where the header and segments are written; flushed at the end.</param>
    /// <param name="kek">The 32-byte key-encryption key.</param>
    /// <param name="kekId">The KEK's id, recorded in the returned <see cref="WrappedDataKey"/>.</param>
    /// <param name="context">What the blob is (for example <c>org_x/call_y/doc_z</c>); the same value is required to decrypt.</param>
    /// <param name="cancellationToken">Cancels reading and writing.</param>
    public static async Task<WrappedDataKey> EncryptAsync(Stream plaintext, Stream ciphertext, ReadOnlyMemory<byte> kek, string kekId,
        string context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(ciphertext);
        CheckKek(kek);
        if (!KeyRing.IsKeyId(kekId))
        {
            throw new ArgumentException("Key ids are 1 to 32 characters of A-Z a-z 0-9 _ -.", nameof(kekId));
        }

        var contextBytes = ContextBytes(context);
        var dataKey = GC.AllocateArray<byte>(KeySize, pinned: true);
        try
        {
            RandomNumberGenerator.Fill(dataKey);
            var header = new byte[HeaderSize];
            WriteHeader(header, SegmentSize);
            await ciphertext.WriteAsync(header, cancellationToken).ConfigureAwait(false);

            using (var aes = new AesGcm(dataKey, TagSize))
            {
                var segments = new SegmentCrypto(aes, header, contextBytes);
                var current = new byte[SegmentSize];
                var next = new byte[SegmentSize];
                var sealedSegment = new byte[SegmentSize + TagSize];
                var length = await FillAsync(plaintext, current, cancellationToken).ConfigureAwait(false);
                for (uint index = 0; ; index++)
                {
                    // A full segment is the last one only if nothing follows it: read ahead one segment to know.
                    var nextLength = length < SegmentSize ? 0 : await FillAsync(plaintext, next, cancellationToken).ConfigureAwait(false);
                    var final = nextLength == 0;
                    var sealedLength = segments.Seal(index, final, current.AsSpan(0, length), sealedSegment);
                    await ciphertext.WriteAsync(sealedSegment.AsMemory(0, sealedLength), cancellationToken).ConfigureAwait(false);
                    if (final)
                    {
                        break;
                    }

                    if (index == uint.MaxValue)
                    {
                        throw new InvalidOperationException("The recording is too large to encrypt.");
                    }

                    (current, next, length) = (next, current, nextLength);
                }
            }

            await ciphertext.FlushAsync(cancellationToken).ConfigureAwait(false);
            return Wrap(dataKey, kek.Span, kekId, contextBytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// Decrypts what <see cref="EncryptAsync"/> wrote. Throws <see cref="CryptographicException"/> when the KEK is wrong,
    /// the context differs, or the ciphertext was changed, truncated, reordered or extended.
    /// </summary>
    /// <remarks>
    /// Plaintext is written segment by segment as each is authenticated, so when this throws, part of the output may
    /// already have been written and must be discarded: truncation is only detectable at the end. Treat the output as
    /// untrusted until the returned task completes successfully.
    /// </remarks>
    /// <param name="ciphertext">The encrypted blob; read sequentially.</param>
    /// <param name="plaintext">Where the recording is written; flushed at the end.</param>
    /// <param name="key">The wrapped data key stored with the blob.</param>
    /// <param name="kek">The 32-byte key-encryption key with id <see cref="WrappedDataKey.KeyEncryptionKeyId"/>.</param>
    /// <param name="context">The context the blob was encrypted with.</param>
    /// <param name="cancellationToken">Cancels reading and writing.</param>
    public static async Task DecryptAsync(Stream ciphertext, Stream plaintext, WrappedDataKey key, ReadOnlyMemory<byte> kek, string context,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(key);
        CheckKek(kek);
        var contextBytes = ContextBytes(context);

        var header = new byte[HeaderSize];
        if (await FillAsync(ciphertext, header, cancellationToken).ConfigureAwait(false) != HeaderSize)
        {
            throw new CryptographicException("The encrypted recording is truncated.");
        }

        var segmentSize = ReadHeader(header);
        var dataKey = GC.AllocateArray<byte>(KeySize, pinned: true);
        try
        {
            Unwrap(key, kek.Span, contextBytes, dataKey);
            using var aes = new AesGcm(dataKey, TagSize);
            var segments = new SegmentCrypto(aes, header, contextBytes);
            var sealedSize = segmentSize + TagSize;
            var current = new byte[sealedSize];
            var next = new byte[sealedSize];
            var opened = new byte[segmentSize];
            var length = await FillAsync(ciphertext, current, cancellationToken).ConfigureAwait(false);
            for (uint index = 0; ; index++)
            {
                var nextLength = length < sealedSize ? 0 : await FillAsync(ciphertext, next, cancellationToken).ConfigureAwait(false);
                var final = nextLength == 0;
                var openedLength = segments.Open(index, final, current.AsSpan(0, length), opened);
                await plaintext.WriteAsync(opened.AsMemory(0, openedLength), cancellationToken).ConfigureAwait(false);
                if (final)
                {
                    break;
                }

                if (index == uint.MaxValue)
                {
                    throw new CryptographicException("The encrypted recording has too many segments.");
                }

                (current, next, length) = (next, current, nextLength);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }

        await plaintext.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void CheckKek(ReadOnlyMemory<byte> kek)
    {
        if (kek.Length != KeySize)
        {
            throw new ArgumentException($"The key-encryption key must be {KeySize} bytes.", nameof(kek));
        }
    }

    private static byte[] ContextBytes(string context)
    {
        ArgumentException.ThrowIfNullOrEmpty(context);
        try
        {
            return StrictUtf8.GetBytes(context);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("The context must be valid Unicode text.", nameof(context), e);
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    private static async ValueTask<int> FillAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken) =>
        await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);

    private static void WriteHeader(Span<byte> header, int segmentSize)
    {
        Magic.CopyTo(header);
        header[4] = FormatVersion;
        BinaryPrimitives.WriteUInt32BigEndian(header[5..], (uint)segmentSize);
        RandomNumberGenerator.Fill(header[9..HeaderSize]);
    }

    private static int ReadHeader(ReadOnlySpan<byte> header)
    {
        if (!header[..4].SequenceEqual(Magic))
        {
            throw new CryptographicException("This is not an encrypted recording.");
        }

        if (header[4] != FormatVersion)
        {
            throw new CryptographicException($"Encrypted recording format version {header[4]} is not supported.");
        }

        var segmentSize = BinaryPrimitives.ReadUInt32BigEndian(header[5..]);
        if (segmentSize is < MinSegmentSize or > MaxSegmentSize)
        {
            throw new CryptographicException("The encrypted recording's header is corrupt.");
        }

        return (int)segmentSize;
    }

    private static byte[] WrapAssociatedData(string kekId, byte[] contextBytes)
    {
        // label ‖ kid length ‖ kid (ASCII) ‖ context: fixed or length-prefixed fields before the context keep it unambiguous.
        var data = new byte[WrapLabel.Length + 1 + kekId.Length + contextBytes.Length];
        WrapLabel.CopyTo(data);
        data[WrapLabel.Length] = (byte)kekId.Length;
        Encoding.ASCII.GetBytes(kekId, data.AsSpan(WrapLabel.Length + 1));
        contextBytes.CopyTo(data.AsSpan(WrapLabel.Length + 1 + kekId.Length));
        return data;
    }

    private static WrappedDataKey Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> kek, string kekId, byte[] contextBytes)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var wrapped = new byte[WrappedDataKey.WrappedSize];
        using var aes = new AesGcm(kek, TagSize);
        aes.Encrypt(nonce, dataKey, wrapped.AsSpan(0, KeySize), wrapped.AsSpan(KeySize), WrapAssociatedData(kekId, contextBytes));
        return new WrappedDataKey(kekId, nonce, wrapped);
    }

    private static void Unwrap(WrappedDataKey key, ReadOnlySpan<byte> kek, byte[] contextBytes, Span<byte> dataKey)
    {
        using var aes = new AesGcm(kek, TagSize);
        var wrapped = key.WrappedKey.Span;
        aes.Decrypt(key.Nonce.Span, wrapped[..KeySize], wrapped[KeySize..], dataKey,
            WrapAssociatedData(key.KeyEncryptionKeyId, contextBytes));
    }

    /// <summary>Seals and opens the segments of one blob: nonces and associated data per segment.</summary>
    private sealed class SegmentCrypto
    {
        private readonly AesGcm _aes;
        private readonly byte[] _nonce = new byte[NonceSize];
        private readonly byte[] _associatedData;

        public SegmentCrypto(AesGcm aes, byte[] header, byte[] contextBytes)
        {
            _aes = aes;
            header.AsSpan(9, NoncePrefixSize).CopyTo(_nonce);
            _associatedData = new byte[HeaderSize + 4 + 1 + contextBytes.Length];
            header.CopyTo(_associatedData, 0);
            contextBytes.CopyTo(_associatedData, HeaderSize + 5);
        }

        public int Seal(uint index, bool final, ReadOnlySpan<byte> plaintext, Span<byte> output)
        {
            Prepare(index, final);
            _aes.Encrypt(_nonce, plaintext, output[..plaintext.Length], output.Slice(plaintext.Length, TagSize), _associatedData);
            return plaintext.Length + TagSize;
        }

        public int Open(uint index, bool final, ReadOnlySpan<byte> sealedSegment, Span<byte> output)
        {
            if (sealedSegment.Length < TagSize)
            {
                throw new CryptographicException("The encrypted recording is truncated.");
            }

            var length = sealedSegment.Length - TagSize;
            Prepare(index, final);
            _aes.Decrypt(_nonce, sealedSegment[..length], sealedSegment[length..], output[..length], _associatedData);
            return length;
        }

        private void Prepare(uint index, bool final)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_nonce.AsSpan(NoncePrefixSize), index);
            BinaryPrimitives.WriteUInt32BigEndian(_associatedData.AsSpan(HeaderSize), index);
            _associatedData[HeaderSize + 4] = final ? (byte)1 : (byte)0;
        }
    }
}
