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
        // The address and token check comes before the storage is opened: a refused address touches nothing.
        var builder = LocalWebHost.CreateBuilder(options.Urls, options.Token, "the job dashboard", JobsHostOptions.TokenVariable, JobsHostOptions.DefaultUrl);
        var storage = options.Storage.Open();
        if (options.Schedule is { } schedule) ScheduleJobs.Register(new RecurringJobManager(storage), schedule);
        Configure(builder.Services, builder.Logging, storage, options);
        var app = builder.Build();
        var authorization = new DashboardAuthorization(options.Token);
        LocalWebHost.UseAccessRules(app, authorization, JobsHostOptions.DashboardPath, "cdx jobs");
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
}

/// <summary>
/// Who may see a local page (the job dashboard, the review page): without a token, requests from this machine only (loopback);
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
