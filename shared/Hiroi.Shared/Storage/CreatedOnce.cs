using System.Collections.Concurrent;

namespace Hiroi.Shared.Storage;

/// <summary>
/// Creates a resource (a table, a container) once per process per name and hands out the same instance after; a creation
/// that failed is forgotten, so a transient fault does not poison the name for the life of the process.
/// </summary>
public sealed class CreatedOnce<T>(Func<string, Task<T>> create)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<T>>> _created = new(StringComparer.Ordinal);

    public Task<T> GetAsync(string name, CancellationToken cancellationToken)
    {
        var lazy = _created.GetOrAdd(name, n => new Lazy<Task<T>>(() => create(n)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            _created.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(name, lazy));
        }

        return task.WaitAsync(cancellationToken);
    }
}
