using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hiroi.Endpoints.Telephony;

/// <summary>
/// <c>GET /api/calls/{callId}/recording?chunk=N</c>: a call's recording (WAV, as ACS recorded it) for the org's members,
/// decrypted as it streams. Each 64 KiB segment leaves only after its AES-GCM tag verified, so a tampered or truncated
/// blob stops before any byte of the bad segment is sent: a 500 if that is the first segment, otherwise the connection
/// is aborted short of its Content-Length, which no client mistakes for a whole file. Every playback is audited.
/// </summary>
public static class RecordingPlayback
{
    public const string ChunksHeader = "Recording-Chunks";

    public static async Task<IResult> PlayAsync(
        string callId, int? chunk, ClaimsPrincipal user, CallRepository calls, RecordingRepository recordings, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        var caller = user.ToCaller();
        if (!TableKeys.IsAcceptable(callId) || await calls.FindAsync(caller.OrgId, callId, cancellationToken) is null)
        {
            return OrgProblems.NotFound("call");
        }

        var chunks = await recordings.ForCallAsync(caller.OrgId, callId, cancellationToken);
        var index = chunk ?? 0;
        if (index < 0 || index >= chunks.Count)
        {
            return chunks.Count == 0
                ? TypedResults.Problem(statusCode: 404, title: "Not found", detail: "The call has no stored recording.")
                : TypedResults.ValidationProblem(new Validation().Add("chunk", $"must be 0 to {chunks.Count - 1}").Errors);
        }

        await audit.RecordAsync(caller, AuditActions.RecordingPlayed, "call:" + callId, "chunk " + index.ToString(CultureInfo.InvariantCulture), cancellationToken);
        return new RecordingStream(chunks[index], chunks.Count);
    }

    private sealed class RecordingStream(RecordingEntity recording, int chunkCount) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var services = httpContext.RequestServices;
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RecordingPlayback));
            var cancellationToken = httpContext.RequestAborted;
            if (!WrappedDataKey.TryParse(recording.WrappedKey, out var key))
            {
                await IntegrityProblemAsync(httpContext, logger);
                return;
            }

            var container = await services.GetRequiredService<HiroiBlobs>().GetAsync(HiroiBlobs.Recordings, cancellationToken);
            var response = httpContext.Response;
            response.ContentType = "audio/wav";
            response.ContentLength = recording.PlaintextBytes;
            response.Headers[ChunksHeader] = chunkCount.ToString(CultureInfo.InvariantCulture);
            try
            {
                await using var ciphertext = await container.GetBlobClient(recording.BlobName).OpenReadAsync(cancellationToken: cancellationToken);
                await services.GetRequiredService<RecordingKeyRing>().DecryptAsync(ciphertext, response.Body, key, recording.BlobName, cancellationToken);
            }
            catch (Exception e) when (e is CryptographicException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                if (!response.HasStarted)
                {
                    await IntegrityProblemAsync(httpContext, logger);
                    return;
                }

                // Part of the audio has gone: end the exchange short of its length rather than complete it.
                logger.LogError("Recording {RecordingId} failed its integrity check mid-stream; the response was aborted", recording.RowKey);
                httpContext.Abort();
            }
        }

        private async Task IntegrityProblemAsync(HttpContext httpContext, ILogger logger)
        {
            logger.LogError("Recording {RecordingId} failed its integrity check before any audio was sent", recording.RowKey);
            httpContext.Response.Headers.Remove(ChunksHeader);
            httpContext.Response.ContentLength = null;
            await Results.Problem(statusCode: 500, title: "Recording unreadable", detail: "The stored recording failed its integrity check.")
                .ExecuteAsync(httpContext);
        }
    }
}
