using Hiroi.Shared.Logging;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Hiroi.Tests.Logging;

[Lane(Lanes.Unit)]
public class RedactionTests
{
    [Theory]
    [InlineData("+15551234567", "+1555****567")]
    [InlineData("+44 20 7946 0958", "+4420****958")]
    [InlineData("123", "****")]
    public void Phone_numbers_are_masked(string number, string masked)
    {
        Assert.Equal(masked, PhoneNumberMask.Mask(number));
    }

    [Theory]
    [InlineData("call from +15551234567 ended", "+15551234567")]
    [InlineData("sms to (555) 123-4567", "123-4567")]
    [InlineData("member jane.doe@example.com added", "jane.doe@example.com")]
    [InlineData("key hiroi_sk_0123456789abcdef0123_0123456789abcdef_ffff used", "0123456789abcdef_ffff")]
    [InlineData("Authorization: Bearer abc.def.ghi", "abc.def.ghi")]
    [InlineData("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig-part", "eyJzdWIiOiIxIn0")]
    [InlineData("AccountKey=Eby8vdM02xNOcqFlqUw==;EndpointSuffix=x", "Eby8vdM02xNOcqFlqUw")]
    [InlineData("https://h/api/eventgrid?code=topsecret&x=1", "topsecret")]
    [InlineData("POST http://h/api/eventgrid/acs?token=tok-123&x=1", "tok-123")]
    [InlineData("GET /signin?state=s&id_token=idt-456", "idt-456")]
    public void Personal_data_and_credentials_are_removed(string text, string mustNotRemain)
    {
        var redacted = PersonalDataRedactor.Redact(text);

        Assert.DoesNotContain(mustNotRemain, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Ordinary_text_is_left_alone()
    {
        const string text = "Campaign c_42 stepped 17 contacts in 250 ms at 2026-11-23T12:00:00Z";

        Assert.Equal(text, PersonalDataRedactor.Redact(text));
    }

    [Fact]
    public void Every_logger_from_the_factory_emits_redacted_messages_and_values()
    {
        var sink = new CapturingProvider();
        using var factory = new RedactingLoggerFactory(LoggerFactory.Create(b => b.AddProvider(sink).SetMinimumLevel(LogLevel.Trace)));
        var logger = factory.CreateLogger("test");

        logger.LogInformation("SMS from {From} to {Email} with {ApiKey} for {OrgId} took {Ms:F1} ms",
            "+15551234567", "x@example.com", "plain-secret", "org_1", 12.345);

        var entry = Assert.Single(sink.Entries);
        Assert.Equal("SMS from +1555****567 to [email] with [redacted] for org_1 took 12.3 ms", entry.Message);
        Assert.Contains(entry.State, kv => kv.Key == "From" && (string?)kv.Value == "+1555****567");
        Assert.Contains(entry.State, kv => kv.Key == "ApiKey" && (string?)kv.Value == "[redacted]");
        Assert.Contains(entry.State, kv => kv.Key == "{OriginalFormat}");
    }

    [Fact]
    public void Unstructured_messages_are_redacted_too()
    {
        var sink = new CapturingProvider();
        using var factory = new RedactingLoggerFactory(LoggerFactory.Create(b => b.AddProvider(sink)));

#pragma warning disable CA2254 // the point is a message built without a template
        factory.CreateLogger("test").LogWarning("caller " + "+15551234567" + " said hi");
#pragma warning restore CA2254

        Assert.Equal("caller +1555****567 said hi", Assert.Single(sink.Entries).Message);
    }

    [Fact]
    public void Holes_are_filled_by_name_when_a_state_lists_values_in_another_order()
    {
        var sink = new CapturingProvider();
        using var factory = new RedactingLoggerFactory(LoggerFactory.Create(b => b.AddProvider(sink)));
        IReadOnlyList<KeyValuePair<string, object?>> state =
        [
            new("Path", "/healthz"),
            new("Method", "GET"),
            new("{OriginalFormat}", "Request {Method} {Path} from {Caller}"),
            new("Caller", "+15551234567"),
        ];

        factory.CreateLogger("test").Log(LogLevel.Information, default, state, null, (s, _) => "unused");

        Assert.Equal("Request GET /healthz from +1555****567", Assert.Single(sink.Entries).Message);
    }

    private sealed class CapturingProvider : ILoggerProvider
    {
        public List<(string Message, IReadOnlyList<KeyValuePair<string, object?>> State)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Capturing(this);

        public void Dispose()
        {
        }

        private sealed class Capturing(CapturingProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Add((formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
        }
    }
}
