using Azure;

namespace Hiroi.Shared.Storage;

public static class Paging
{
    /// <summary>One page of a query, from <paramref name="continuation"/> (null: the start), and the token of the next page (null: no more).</summary>
    public static async Task<(IReadOnlyList<T> Items, string? Next)> OnePageAsync<T>(this AsyncPageable<T> query, string? continuation, int size)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(query);
        await foreach (var page in query.AsPages(continuation, size).ConfigureAwait(false))
        {
            return (page.Values, page.ContinuationToken);
        }

        return ([], null);
    }
}
