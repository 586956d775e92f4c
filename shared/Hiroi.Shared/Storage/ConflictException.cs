namespace Hiroi.Shared.Storage;

/// <summary>A write lost a race (ETag mismatch) or would create something that already exists. Answered 409.</summary>
public sealed class ConflictException : Exception
{
    public ConflictException()
    {
    }

    public ConflictException(string message) : base(message)
    {
    }

    public ConflictException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
