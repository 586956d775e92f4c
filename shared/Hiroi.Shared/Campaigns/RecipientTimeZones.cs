using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace Hiroi.Shared.Campaigns;

/// <summary>
/// The time zones a recipient may be in: the contact's own zone when it has one; else the zones libphonenumber maps the
/// number to (several for an area code that spans zones); else, for a North American number with no zone of its own,
/// the configured fallback set. Any other number with no zone gets none, and the gate skips it rather than guess.
/// </summary>
public sealed class RecipientTimeZones(IOptions<CampaignOptions> options)
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();
    private static readonly PhoneNumberToTimeZonesMapper Mapper = PhoneNumberToTimeZonesMapper.GetInstance();
    private const string UnknownZone = "Etc/Unknown";

    // More zones than this is libphonenumber's whole-country answer, not a place.
    private const int MaxSpecificZones = 4;

    // Resolved zone sets by their names (few distinct sets exist: one per area code at most).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<TimeZoneInfo>> _resolved = new(StringComparer.Ordinal);

    private readonly Lazy<IReadOnlyList<TimeZoneInfo>> _fallback = new(() =>
        Resolve(options.Value.UnknownZoneFallback.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));

    public IReadOnlyList<TimeZoneInfo> For(string? contactZone, string e164)
    {
        if (contactZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(contactZone, out var own))
        {
            return [own];
        }

        var names = ZoneNames(e164);
        var specific = names is { Count: > 0 and <= MaxSpecificZones };
        return specific ? _resolved.GetOrAdd(string.Join(',', names!), _ => Resolve(names!))
            : e164.StartsWith("+1", StringComparison.Ordinal) ? _fallback.Value
            : [];
    }

    private static List<string>? ZoneNames(string e164)
    {
        try
        {
            var names = Mapper.GetTimeZonesForNumber(Util.Parse(e164, null));
            return names.Contains(UnknownZone) ? null : names.ToList();
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    private static List<TimeZoneInfo> Resolve(IEnumerable<string> names) =>
        names.Select(n => TimeZoneInfo.TryFindSystemTimeZoneById(n, out var z) ? z : null).OfType<TimeZoneInfo>().ToList();
}
