using System.Net;
using System.Security.Cryptography;
using System.Text;
using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChangeDetection.Jobs;

/// <summary>What <c>cdx serve</c> and <c>cdx worker</c> host.</summary>
public sealed record JobsHostOptions
{
    public required JobStorageSpec Storage { get; init; }
    /// <summary>The schedule whose recurring job is registered at start (serve), or null.</summary>
    public Schedule? Schedule { get; init; }
    /// <summary>Dashboard addresses; loopback by default.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];
    /// <summary>Dashboard credential (bearer token, or the password of HTTP basic authentication); required off loopback.</summary>
    public string? Token { get; init; }
    /// <summary>Region jobs run at once by this process (each region run uses every core).</summary>
    public int WorkerCount { get; init; } = 1;
    public string ServerName { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;

    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string DashboardPath = "/hangfire";
    /// <summary>The environment variable that holds the dashboard token.</summary>
    public const string TokenVariable = "CDX_DASHBOARD_TOKEN";
}

/// <summary>
/// Hosts Hangfire: <see cref="BuildServe"/> is a server and the dashboard at <c>/hangfire</c>
/// (minimal ASP.NET Core), <see cref="BuildWorker"/> a server only (generic host). Both run the
/// jobs of <see cref="RegionJobs"/> and <see cref="ScheduleJobs"/> from the shared storage.
/// </summary>
public static class JobsHost
{
    /// <summary>A Hangfire server plus the dashboard; registers the schedule's recurring job before it starts.</summary>
    /// <exception cref="ChangeDetectionException">A non-loopback address without a token, or a bad address.</exception>
    public static WebApplication BuildServe(JobsHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Urls.Count == 0) throw new ChangeDetectionException("--urls: give at least one address such as " + JobsHostOptions.DefaultUrl + ".");
        var exposed = options.Urls.Where(u => !IsLoopback(u)).ToList();
        if (exposed.Count > 0 && string.IsNullOrEmpty(options.Token))
            throw new ChangeDetectionException(
                $"--urls {string.Join(',', exposed)}: refusing to serve the job dashboard beyond this machine without credentials; " +
                $"set {JobsHostOptions.TokenVariable} (or --token) to a secret, or serve on a loopback address such as {JobsHostOptions.DefaultUrl}.");

        var storage = options.Storage.Open();
        if (options.Schedule is { } schedule) ScheduleJobs.Register(new RecurringJobManager(storage), schedule);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // Kestrel endpoints from configuration (Kestrel__Endpoints__* environment variables, appsettings)
        // would replace --urls and slip past the loopback rule above: this host listens on --urls only.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Configure(new ConfigurationBuilder().Build()));
        builder.WebHost.UseUrls([.. options.Urls]);
        // A page on another site can make the operator's browser send requests to 127.0.0.1 (DNS rebinding
        // names it evil.example, a form posts to it): answer only to the host names the dashboard is
        // served under, and let the dashboard check an antiforgery token on every POST.
        builder.Services.AddHostFiltering(o =>
        {
            o.AllowedHosts = AllowedHosts(options.Urls);
            o.AllowEmptyHosts = false;
        });
        builder.Services.AddAntiforgery();
        Configure(builder.Services, builder.Logging, storage, options);
        var app = builder.Build();
        app.UseHostFiltering();
        var authorization = new DashboardAuthorization(options.Token);
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(JobsHostOptions.DashboardPath, StringComparison.Ordinal) && !authorization.Allows(context))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                if (authorization.HasToken) context.Response.Headers.WWWAuthenticate = "Basic realm=\"cdx jobs\", charset=\"UTF-8\"";
                return;
            }
            await next(context).ConfigureAwait(false);
        });
        app.UseHangfireDashboard(JobsHostOptions.DashboardPath, new DashboardOptions
        {
            Authorization = [authorization],
            DashboardTitle = "cdx jobs (卫片执法)",
            AppPath = null,
        }, storage);
        app.MapGet("/", () => Results.Redirect(JobsHostOptions.DashboardPath));
        return app;
    }

    /// <summary>A Hangfire server without a dashboard, for more machines on the same (PostgreSQL) storage.</summary>
    public static IHost BuildWorker(JobsHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var storage = options.Storage.Open();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        Configure(builder.Services, builder.Logging, storage, options);
        return builder.Build();
    }

    private static void Configure(IServiceCollection services, ILoggingBuilder logging, JobStorage storage, JobsHostOptions options)
    {
        logging.ClearProviders();
        // Log lines go to stderr: stdout carries what the command itself prints.
        logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(options.LogLevel);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // AddHangfire points Hangfire's global log provider and activator at this host's services,
        // which are disposed with the host; replace both with ones that outlive it (the jobs have
        // parameterless constructors), so Hangfire keeps working in the same process afterwards.
        services.AddHangfire(c => c.UseStorage(storage)
            .UseLogProvider(new StderrLogProvider(Hangfire.Logging.LogLevel.Warn))
            .UseActivator(new JobActivator()));
        services.AddHangfireServer((_, o) =>
        {
            o.WorkerCount = options.WorkerCount;
            o.ServerName = options.ServerName;
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        }, storage);
    }

    /// <summary>
    /// The Host header values the dashboard answers to: localhost, 127.0.0.1 and [::1] for a loopback
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

/// <summary>
/// Who may see the dashboard: without a token, requests from this machine only (loopback);
/// with a token, any request that carries it (<c>Authorization: Bearer TOKEN</c>, or HTTP basic
/// authentication with the token as password), and no request without it, local or not (a
/// reverse proxy on this machine would otherwise make every request look local).
/// </summary>
public sealed class DashboardAuthorization(string? token) : IDashboardAuthorizationFilter
{
    private readonly byte[]? _token = string.IsNullOrEmpty(token) ? null : Encoding.UTF8.GetBytes(token);

    public bool HasToken => _token is not null;

    public bool Authorize(DashboardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Allows(context.GetHttpContext());
    }

    public bool Allows(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_token is null) return context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
        string header = context.Request.Headers.Authorization.ToString();
        string? given = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) given = header[7..].Trim();
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                string pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                int colon = pair.IndexOf(':', StringComparison.Ordinal);
                given = colon >= 0 ? pair[(colon + 1)..] : null;
            }
            catch (FormatException)
            {
                given = null;
            }
        }
        return given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token);
    }
}
