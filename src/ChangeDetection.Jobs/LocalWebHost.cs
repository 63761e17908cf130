using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChangeDetection.Jobs;

/// <summary>
/// The hosting rules of cdx's local web pages (the job dashboard of <c>cdx serve</c>, the review page of
/// <c>cdx review</c>): loopback by default, other addresses only with a token, Kestrel listening on the given
/// addresses only, answers only to the host names served under, and antiforgery registered for every
/// state-changing request.
/// </summary>
public static class LocalWebHost
{
    /// <summary>
    /// A slim web application builder for <paramref name="urls"/> with the rules above.
    /// </summary>
    /// <param name="urls">Listen addresses (<c>http://127.0.0.1:5080</c>; port 0 picks a free one).</param>
    /// <param name="token">The credential; required when an address is not loopback.</param>
    /// <param name="what">What is served, for the refusal message (<c>the job dashboard</c>).</param>
    /// <param name="tokenVariable">The environment variable that holds the token, for the refusal message.</param>
    /// <param name="defaultUrl">The loopback default, for messages.</param>
    /// <exception cref="ChangeDetectionException">No address, or a non-loopback address without a token.</exception>
    public static WebApplicationBuilder CreateBuilder(IReadOnlyList<string> urls, string? token, string what, string tokenVariable, string defaultUrl)
    {
        ArgumentNullException.ThrowIfNull(urls);
        if (urls.Count == 0) throw new ChangeDetectionException("--urls: give at least one address such as " + defaultUrl + ".");
        var exposed = urls.Where(u => !IsLoopback(u)).ToList();
        if (exposed.Count > 0 && string.IsNullOrEmpty(token))
            throw new ChangeDetectionException(
                $"--urls {string.Join(',', exposed)}: refusing to serve {what} beyond this machine without credentials; " +
                $"set {tokenVariable} (or --token) to a secret, or serve on a loopback address such as {defaultUrl}.");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // Kestrel endpoints from configuration (Kestrel__Endpoints__* environment variables, appsettings)
        // would replace --urls and slip past the loopback rule above: this host listens on --urls only.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Configure(new ConfigurationBuilder().Build()));
        builder.WebHost.UseUrls([.. urls]);
        // A page on another site can make the operator's browser send requests to 127.0.0.1 (DNS rebinding
        // names it evil.example, a form posts to it): answer only to the host names the page is served
        // under, and check an antiforgery token on every state-changing request.
        builder.Services.AddHostFiltering(o =>
        {
            o.AllowedHosts = AllowedHosts(urls);
            o.AllowEmptyHosts = false;
        });
        builder.Services.AddAntiforgery();
        return builder;
    }

    /// <summary>
    /// Host filtering, then a 401 for every request under <paramref name="protectedPath"/> (every request when
    /// empty) that <paramref name="authorization"/> does not allow; call first on the built application.
    /// </summary>
    public static void UseAccessRules(WebApplication app, DashboardAuthorization authorization, PathString protectedPath, string realm)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(authorization);
        app.UseHostFiltering();
        app.Use(async (context, next) =>
        {
            if ((!protectedPath.HasValue || context.Request.Path.StartsWithSegments(protectedPath, StringComparison.Ordinal)) && !authorization.Allows(context))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                if (authorization.HasToken) context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{realm}\", charset=\"UTF-8\"";
                return;
            }
            await next(context).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// The Host header values a page answers to: localhost, 127.0.0.1 and [::1] for a loopback
    /// address, the name given for any other, and every name for a wildcard binding (0.0.0.0, [::], *, +),
    /// which needs a token anyway.
    /// </summary>
    public static IList<string> AllowedHosts(IEnumerable<string> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var hosts = new List<string>();
        foreach (string url in urls)
        {
            string host = HostOf(url);
            if (host is "*" or "+" or "0.0.0.0" or "::") return ["*"];
            if (IsLoopback(url)) hosts.AddRange(["localhost", "127.0.0.1", "[::1]"]);
            else hosts.Add(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host);
        }
        return hosts.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>True when <paramref name="url"/> binds to loopback only (localhost, 127.0.0.0/8, [::1]).</summary>
    public static bool IsLoopback(string url)
    {
        string host = HostOf(url);
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>The host of a listen address, without brackets or port.</summary>
    private static string HostOf(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        string rest = scheme >= 0 ? url[(scheme + 3)..] : url;
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0) rest = rest[..slash];
        string host;
        if (rest.StartsWith('['))
        {
            int end = rest.IndexOf(']', StringComparison.Ordinal);
            host = end > 0 ? rest[1..end] : rest;
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            host = colon >= 0 ? rest[..colon] : rest;
        }
        return host;
    }
}
