using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Hiroi.Shared.Acs;

/// <summary>
/// Access-key authentication of the ACS REST API (HMAC-SHA256), as documented for Communication Services: the request
/// carries <c>x-ms-date</c> (RFC 1123), <c>x-ms-content-sha256</c> (base64 SHA-256 of the body, of no bytes when there is
/// none) and <c>Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&amp;Signature=...</c>, where the
/// signature is base64 HMAC-SHA256, keyed with the base64-decoded access key, of the UTF-8 string
/// <c>VERB\nPathAndQuery\ndate;host;contentHash</c>. <see cref="Verify(string, string, string, string?, string?, string?, ReadOnlySpan{byte}, string)"/>
/// is the service's side, for a local ACS simulator.
/// </summary>
public static class AcsHmac
{
    public const string DateHeader = "x-ms-date";
    public const string ContentHashHeader = "x-ms-content-sha256";

    /// <summary>Names the ACS resource when a request goes to another host (a recording's content or delete location).</summary>
    public const string HostHeader = "x-ms-host";

    public const string Scheme = "HMAC-SHA256";
    public const string SignedHeaders = "x-ms-date;host;x-ms-content-sha256";

    private const string SignedHeadersPrefix = "SignedHeaders=";
    private const string SignaturePrefix = "&Signature=";

    /// <summary>Signs <paramref name="request"/> for its own host and path, replacing any earlier signature.</summary>
    public static void Sign(HttpRequestMessage request, byte[] body, string base64Key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri is { IsAbsoluteUri: true } absolute
            ? absolute
            : throw new ArgumentException("The request needs an absolute URI to be signed.", nameof(request));
        Sign(request, body, base64Key, now, uri.Authority, uri.PathAndQuery);
    }

    /// <summary>
    /// Signs <paramref name="request"/> as if it were sent to <paramref name="signedHost"/> at <paramref name="signedPathAndQuery"/>
    /// (ACS signs requests to a recording's storage location with the resource's own host).
    /// </summary>
    public static void Sign(
        HttpRequestMessage request, byte[] body, string base64Key, DateTimeOffset now, string signedHost, string signedPathAndQuery)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentException.ThrowIfNullOrEmpty(signedHost);
        ArgumentException.ThrowIfNullOrEmpty(signedPathAndQuery);

        var date = FormatDate(now);
        var contentHash = ComputeContentHash(body);
        var signature = ComputeSignature(StringToSign(request.Method.Method, signedPathAndQuery, date, signedHost, contentHash), base64Key);

        request.Headers.Remove(DateHeader);
        request.Headers.Remove(ContentHashHeader);
        request.Headers.Authorization = null;
        request.Headers.TryAddWithoutValidation(DateHeader, date);
        request.Headers.TryAddWithoutValidation(ContentHashHeader, contentHash);
        request.Headers.TryAddWithoutValidation("Authorization", AuthorizationValue(signature));
    }

    /// <summary>RFC 1123 in UTC: <c>Sun, 06 Nov 1994 08:49:37 GMT</c>.</summary>
    public static string FormatDate(DateTimeOffset time) => time.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);

    /// <summary>Base64 SHA-256 of the body; of no bytes when there is no body.</summary>
    public static string ComputeContentHash(ReadOnlySpan<byte> body) => Convert.ToBase64String(SHA256.HashData(body));

    public static string StringToSign(string method, string pathAndQuery, string date, string host, string contentHash)
    {
        ArgumentNullException.ThrowIfNull(method);
        return method.ToUpperInvariant() + "\n" + pathAndQuery + "\n" + date + ";" + host + ";" + contentHash;
    }

    /// <summary>Base64 HMAC-SHA256 of the UTF-8 <paramref name="stringToSign"/>, keyed with the decoded access key.</summary>
    public static string ComputeSignature(string stringToSign, string base64Key)
    {
        ArgumentNullException.ThrowIfNull(stringToSign);
        var key = DecodeKey(base64Key);
        try
        {
            return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public static string AuthorizationValue(string signature) => $"{Scheme} {SignedHeadersPrefix}{SignedHeaders}{SignaturePrefix}{signature}";

    /// <summary>
    /// The service's check of a signed request: the content hash matches the body, the signed headers are the documented
    /// three, and the signature matches (compared in constant time). Any missing or malformed part is a rejection.
    /// </summary>
    /// <param name="host">The <c>Host</c> the request was sent to (with the port when not the default).</param>
    public static bool Verify(
        string method, string pathAndQuery, string host, string? date, string? contentHash, string? authorization,
        ReadOnlySpan<byte> body, string base64Key)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        ArgumentNullException.ThrowIfNull(host);
        if (string.IsNullOrEmpty(date) || string.IsNullOrEmpty(contentHash) || !TryReadSignature(authorization, out var presented))
        {
            return false;
        }

        var actualHash = ComputeContentHash(body);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(actualHash), Encoding.ASCII.GetBytes(contentHash)))
        {
            return false;
        }

        var key = DecodeKey(base64Key);
        try
        {
            var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(StringToSign(method, pathAndQuery, date, host, contentHash)));
            return CryptographicOperations.FixedTimeEquals(expected, presented);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// <see cref="Verify(string, string, string, string?, string?, string?, ReadOnlySpan{byte}, string)"/>, and the request's
    /// date is within <paramref name="maxClockSkew"/> of <paramref name="now"/> (a replayed request goes stale).
    /// </summary>
    public static bool Verify(
        string method, string pathAndQuery, string host, string? date, string? contentHash, string? authorization,
        ReadOnlySpan<byte> body, string base64Key, DateTimeOffset now, TimeSpan maxClockSkew)
    {
        if (!DateTimeOffset.TryParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var sent)
            || (now - sent).Duration() > maxClockSkew)
        {
            return false;
        }

        return Verify(method, pathAndQuery, host, date, contentHash, authorization, body, base64Key);
    }

    private static bool TryReadSignature(string? authorization, out byte[] signature)
    {
        signature = [];
        if (authorization is null || !authorization.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var parameters = authorization[(Scheme.Length + 1)..].Trim();
        var split = parameters.IndexOf(SignaturePrefix, StringComparison.OrdinalIgnoreCase);
        if (split < 0 || !parameters.StartsWith(SignedHeadersPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var signedHeaders = parameters[SignedHeadersPrefix.Length..split];
        if (!string.Equals(signedHeaders, SignedHeaders, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var buffer = new byte[32];
        if (!Convert.TryFromBase64String(parameters[(split + SignaturePrefix.Length)..], buffer, out var written) || written != buffer.Length)
        {
            return false;
        }

        signature = buffer;
        return true;
    }

    private static byte[] DecodeKey(string base64Key)
    {
        ArgumentException.ThrowIfNullOrEmpty(base64Key);
        try
        {
            return Convert.FromBase64String(base64Key);
        }
        catch (FormatException)
        {
            // The exception names neither the key nor any part of it.
            throw new ArgumentException("The ACS access key is not valid base64.", nameof(base64Key));
        }
    }
}
