using System.Collections;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Hiroi.Shared.Logging;

/// <summary>
/// Wraps the host's logger factory so every logger, ours and the framework's, hands its providers (console, OpenTelemetry)
/// redacted state: each structured value goes through <see cref="PersonalDataRedactor"/> and the message is rendered again
/// from its template with the redacted values.
/// </summary>
public sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}

internal sealed class RedactingLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
        state is IReadOnlyList<KeyValuePair<string, object?>> values ? inner.BeginScope(RedactedState.From(values)) : inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var redacted = state is IReadOnlyList<KeyValuePair<string, object?>> values
            ? RedactedState.From(values)
            : RedactedState.FromMessage(formatter(state, exception));
        inner.Log(logLevel, eventId, redacted, exception, static (s, _) => s.ToString());
    }
}

/// <summary>Structured log state whose values have been redacted; renders its message from the original template.</summary>
internal sealed class RedactedState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private const string OriginalFormat = "{OriginalFormat}";
    private readonly KeyValuePair<string, object?>[] _values;
    private readonly string _message;

    private RedactedState(KeyValuePair<string, object?>[] values, string message) => (_values, _message) = (values, message);

    public int Count => _values.Length;

    public KeyValuePair<string, object?> this[int index] => _values[index];

    public static RedactedState FromMessage(string message)
    {
        var redacted = PersonalDataRedactor.Redact(message);
        return new RedactedState([new(OriginalFormat, redacted)], redacted);
    }

    public static RedactedState From(IReadOnlyList<KeyValuePair<string, object?>> values)
    {
        var redacted = new KeyValuePair<string, object?>[values.Count];
        string? template = null;
        for (var i = 0; i < values.Count; i++)
        {
            var (name, value) = values[i];
            if (name == OriginalFormat)
            {
                // Templates are literal text and may have been built by interpolation: they are scanned too.
                template = value is string text ? PersonalDataRedactor.Redact(text) : null;
                redacted[i] = new(name, template);
                continue;
            }

            redacted[i] = new(name, RedactValue(name, value));
        }

        return new RedactedState(redacted, template is null ? string.Empty : Render(template, redacted));
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _message;

    private static object? RedactValue(string name, object? value)
    {
        if (value is null)
        {
            return null;
        }

        if (PersonalDataRedactor.IsSecretName(name))
        {
            return "[redacted]";
        }

        return value switch
        {
            string s => PersonalDataRedactor.Redact(s),
            bool or byte or short or int or long or float or double or decimal or Guid or DateTime or DateTimeOffset or TimeSpan or Enum => value,
            IEnumerable sequence and not string => PersonalDataRedactor.Redact(string.Join(", ", sequence.Cast<object?>().Select(Format))),
            _ => PersonalDataRedactor.Redact(Format(value)),
        };
    }

    private static string Format(object? value) => value switch
    {
        null => "(null)",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>
    /// Fills <c>{Name}</c> holes (with optional <c>,alignment</c> and <c>:format</c>) by name, falling back to position;
    /// <c>{{</c> and <c>}}</c> are literal braces. By name, because some framework states list values in another order.
    /// </summary>
    private static string Render(string template, KeyValuePair<string, object?>[] values)
    {
        var output = new StringBuilder(template.Length + 32);
        var hole = 0;
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                output.Append(c);
                i++;
                continue;
            }

            var close = c == '{' ? template.IndexOf('}', i + 1) : -1;
            if (close < 0)
            {
                output.Append(c);
                continue;
            }

            var spec = template.AsSpan(i + 1, close - i - 1);
            var nameEnd = spec.IndexOfAny(',', ':');
            var name = (nameEnd >= 0 ? spec[..nameEnd] : spec).ToString();
            var formatAt = spec.IndexOf(':');
            var value = ValueOf(values, name, hole);
            output.Append(value is IFormattable f && formatAt >= 0
                ? f.ToString(spec[(formatAt + 1)..].ToString(), CultureInfo.InvariantCulture)
                : Format(value));
            hole++;
            i = close;
        }

        return output.ToString();
    }

    private static object? ValueOf(KeyValuePair<string, object?>[] values, string name, int position)
    {
        foreach (var (key, value) in values)
        {
            if (key == name)
            {
                return value;
            }
        }

        return position < values.Length && values[position].Key != OriginalFormat ? values[position].Value : null;
    }
}
