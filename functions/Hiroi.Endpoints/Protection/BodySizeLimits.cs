using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Hiroi.Endpoints.Protection;

/// <summary>The most bytes a route's request body may have: endpoint metadata, enforced by <see cref="BodySizeLimits.UseBodySizeLimits"/>.</summary>
public sealed record BodySizeLimit(long Bytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize => Bytes;
}

/// <summary>
/// Per-route body limits, the same in both hosts: a route (or group) says its limit with <see cref="WithBodySizeLimit"/>,
/// and the shared pipeline refuses a longer declared body with 413 problem details before anything reads it, and stops a
/// longer chunked body at the limit (413 the same way). Without it the servers' defaults apply: Kestrel buffers up to
/// 30 MB and the Functions host 100 MB, which anonymous routes must not read for a stranger.
/// </summary>
public static class BodySizeLimits
{
    /// <summary>Sign-in and the widget: a passkey assertion, an email or a chat message, with room to spare.</summary>
    public const long SignInAndWidget = 64 * 1024;

    public static TBuilder WithBodySizeLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodySizeLimit(bytes));

    public static IApplicationBuilder UseBodySizeLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize is not { } limit)
        {
            await next(context);
            return;
        }

        if (context.Request.ContentLength > limit)
        {
            await TooLarge(limit).ExecuteAsync(context);
            return;
        }

        // The server stops the body at the limit where it can (Kestrel); the wrapper does wherever it cannot.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } server)
        {
            server.MaxRequestBodySize = limit;
        }

        context.Request.Body = new LimitedBody(context.Request.Body, limit);
        await next(context);
    });

    private static IResult TooLarge(long limit) => Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
        detail: $"This route takes a body of at most {limit} bytes.");

    /// <summary>Reads through to the body and throws what Kestrel throws (413) once more than the limit has come.</summary>
    private sealed class LimitedBody(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        private int Count(int read)
        {
            _read += read;
            return _read <= limit ? read
                : throw new BadHttpRequestException($"The request body is larger than {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
