using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Infrastructure;

/// <summary>One route of a host: its method, path template, endpoint name and what authorization it asks for.</summary>
public sealed record RouteEntry(string Method, string Route, string? Name, bool Anonymous, IReadOnlySet<string> Policies)
{
    /// <summary>The type the route binds its JSON body to, when it takes one.</summary>
    public Type? BodyType { get; init; }

    /// <summary>Whether the route asks more than membership (admins, or owners only).</summary>
    public bool IsAdmin => Policies.Contains(Endpoints.Auth.Policies.Admin) || Policies.Contains(Endpoints.Auth.Policies.Owner);

    /// <summary>Whether the route is for a person signed in to the console (their session, TOTP): an API key is refused there.</summary>
    public bool IsForPeople => Policies.Contains(Endpoints.Auth.Policies.SignedIn) || Policies.Contains(Endpoints.Auth.Policies.SignedInComplete);

    /// <summary>The route with every parameter filled with <paramref name="value"/>.</summary>
    public string Path(string value = "x") => System.Text.RegularExpressions.Regex.Replace(Route, "{[^}]+}", value);

    /// <summary>The route with each parameter filled by name.</summary>
    public string Fill(Func<string, string> value) =>
        System.Text.RegularExpressions.Regex.Replace(Route, "{([^}:]+)[^}]*}", m => value(m.Groups[1].Value));

    public override string ToString() => $"{Method} {Route} ({Name})";
}

/// <summary>Reads a host's endpoint data source as plain rows, the way the route and auth tests compare hosts.</summary>
public static class RouteTable
{
    public static IReadOnlyList<RouteEntry> Of(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return Of(services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>());
    }

    public static IReadOnlyList<RouteEntry> Of(IEnumerable<RouteEndpoint> endpoints) =>
        [.. endpoints.SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(method => new RouteEntry(
                method,
                "/" + e.RoutePattern.RawText!.TrimStart('/'),
                e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
                e.Metadata.GetMetadata<IAllowAnonymous>() is not null,
                e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToHashSet(StringComparer.Ordinal))
            {
                BodyType = e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType,
            }))];
}
