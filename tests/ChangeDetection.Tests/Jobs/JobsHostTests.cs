using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ChangeDetection.Jobs;
using ChangeDetection.Synthetic;
using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChangeDetection.Tests.Jobs;

/// <summary>The hosts of <c>cdx serve</c> and <c>cdx worker</c>, in-process on real sockets (loopback) and real SQLite storage.</summary>
// Alone ([NonParallelizable]): a test sets a Kestrel endpoint in the process environment, which a web host built at the same
// time in another fixture (the review page's) would pick up, and the hosts point Hangfire's global storage at their own.
[NonParallelizable]
public sealed class JobsHostTests
{
    private static JobStorageSpec Spec(TempDir dir) =>
        JobStorageSpec.Parse("sqlite:" + dir.File("jobs.db")) with { QueuePollInterval = TimeSpan.FromMilliseconds(200) };

    private static Schedule WriteSchedule(TempDir dir)
    {
        File.WriteAllText(dir.File("r.json"), "{}");
        File.WriteAllText(dir.File("schedule.json"), """{ "regions": ["r.json"] }""");
        return Schedule.Load(dir.File("schedule.json"));
    }

    private static async Task<(WebApplication App, string BaseUrl)> Start(JobsHostOptions options)
    {
        var app = JobsHost.BuildServe(options);
        await app.StartAsync().ConfigureAwait(false);
        return (app, app.Urls.Single().TrimEnd('/'));
    }

    [Test]
    public async Task Serve_shows_the_dashboard_on_loopback_and_registers_the_schedule()
    {
        using var dir = new TempDir();
        var (app, url) = await Start(new JobsHostOptions { Storage = Spec(dir), Schedule = WriteSchedule(dir), Urls = ["http://127.0.0.1:0"] });
        await using (app)
        {
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
            using var page = await http.GetAsync(new Uri(url + "/hangfire"));
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("cdx jobs"));
            using var recurring = await http.GetAsync(new Uri(url + "/hangfire/recurring"));
            Assert.That(await recurring.Content.ReadAsStringAsync(), Does.Contain("schedule:" + dir.File("schedule.json")));
            using var root = await http.GetAsync(new Uri(url + "/"));
            Assert.That(root.Headers.Location?.ToString(), Is.EqualTo("/hangfire"));
            await app.StopAsync();
        }
    }

    [Test]
    public async Task With_a_token_every_dashboard_request_needs_it()
    {
        using var dir = new TempDir();
        var (app, url) = await Start(new JobsHostOptions { Storage = Spec(dir), Urls = ["http://127.0.0.1:0"], Token = "s3cret" });
        await using (app)
        {
            using var http = new HttpClient();
            using var none = await http.GetAsync(new Uri(url + "/hangfire"));
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(none.Headers.WwwAuthenticate.ToString(), Does.StartWith("Basic"));

            using var wrong = new HttpRequestMessage(HttpMethod.Get, url + "/hangfire");
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
            Assert.That((await http.SendAsync(wrong)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

            using var bearer = new HttpRequestMessage(HttpMethod.Get, url + "/hangfire");
            bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
            Assert.That((await http.SendAsync(bearer)).StatusCode, Is.EqualTo(HttpStatusCode.OK));

            using var basic = new HttpRequestMessage(HttpMethod.Get, url + "/hangfire/jobs/enqueued");
            basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("inspector:s3cret")));
            Assert.That((await http.SendAsync(basic)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await app.StopAsync();
        }
    }

    [Test]
    public void The_authorization_filter_admits_loopback_only_without_a_token()
    {
        using var dir = new TempDir();
        var storage = Spec(dir).Open();
        using var services = new ServiceCollection().BuildServiceProvider();
        bool Authorize(string? token, string remote, string? header = null)
        {
            var http = new DefaultHttpContext { RequestServices = services };
            http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
            if (header is not null) http.Request.Headers.Authorization = header;
            var context = new AspNetCoreDashboardContext(storage, new DashboardOptions(), http);
            return new DashboardAuthorization(token).Authorize(context);
        }
        Assert.Multiple(() =>
        {
            Assert.That(Authorize(null, "127.0.0.1"), Is.True);
            Assert.That(Authorize(null, "::1"), Is.True);
            Assert.That(Authorize(null, "10.1.2.3"), Is.False, "a non-local request without credentials");
            Assert.That(Authorize(null, "203.0.113.7", "Bearer anything"), Is.False);
            Assert.That(Authorize("t0k", "10.1.2.3"), Is.False);
            Assert.That(Authorize("t0k", "127.0.0.1"), Is.False, "with a token, local requests need it too");
            Assert.That(Authorize("t0k", "10.1.2.3", "Bearer t0k"), Is.True);
            Assert.That(Authorize("t0k", "10.1.2.3", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:t0k"))), Is.True);
            Assert.That(Authorize("t0k", "10.1.2.3", "Basic !!notbase64"), Is.False);
        });
    }

    [Test]
    public async Task Requests_under_another_host_name_are_refused()
    {
        using var dir = new TempDir();
        var (app, url) = await Start(new JobsHostOptions { Storage = Spec(dir), Urls = ["http://127.0.0.1:0"] });
        await using (app)
        {
            using var http = new HttpClient();
            async Task<HttpStatusCode> Get(string host)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url + "/hangfire");
                request.Headers.Host = host;
                using var response = await http.SendAsync(request);
                return response.StatusCode;
            }
            int port = new Uri(url).Port;
            Assert.Multiple(async () =>
            {
                // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
                Assert.That(await Get($"evil.example:{port}"), Is.EqualTo(HttpStatusCode.BadRequest));
                Assert.That(await Get($"localhost:{port}"), Is.EqualTo(HttpStatusCode.OK));
                Assert.That(await Get($"127.0.0.1:{port}"), Is.EqualTo(HttpStatusCode.OK));
            });
            await app.StopAsync();
        }
    }

    [Test]
    public async Task A_dashboard_post_without_the_antiforgery_token_is_refused_and_runs_nothing()
    {
        using var dir = new TempDir();
        var schedule = WriteSchedule(dir);
        var (app, url) = await Start(new JobsHostOptions { Storage = Spec(dir), Schedule = schedule, Urls = ["http://127.0.0.1:0"], WorkerCount = 1 });
        await using (app)
        {
            using var http = new HttpClient();
            // What a form on another site posts through the operator's browser.
            using var request = new HttpRequestMessage(HttpMethod.Post, url + "/hangfire/recurring/trigger")
            {
                Content = new FormUrlEncodedContent([new KeyValuePair<string, string>("jobs[]", "schedule:" + dir.File("schedule.json"))]),
            };
            request.Headers.Add("Origin", "http://evil.example");
            using var response = await http.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            var statistics = Spec(dir).Open().GetMonitoringApi().GetStatistics();
            Assert.That(statistics.Enqueued + statistics.Processing + statistics.Succeeded + statistics.Failed, Is.Zero, "the schedule was not triggered");
            await app.StopAsync();
        }
    }

    [Test]
    public async Task Kestrel_endpoints_from_the_environment_do_not_widen_where_it_listens()
    {
        using var dir = new TempDir();
        const string variable = "Kestrel__Endpoints__Everywhere__Url";
        Environment.SetEnvironmentVariable(variable, "http://0.0.0.0:0");
        try
        {
            var (app, url) = await Start(new JobsHostOptions { Storage = Spec(dir), Urls = ["http://127.0.0.1:0"] });
            await using (app)
            {
                Assert.That(app.Urls, Has.All.Matches<string>(LocalWebHost.IsLoopback), string.Join(", ", app.Urls));
                await app.StopAsync();
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Test]
    public void Allowed_host_names_follow_the_listen_addresses()
    {
        Assert.Multiple(() =>
        {
            Assert.That(LocalWebHost.AllowedHosts(["http://127.0.0.1:5080"]), Is.EquivalentTo(new[] { "localhost", "127.0.0.1", "[::1]" }));
            Assert.That(LocalWebHost.AllowedHosts(["http://jobs.example.cn:5080", "http://[::1]:5080"]), Is.EquivalentTo(new[] { "jobs.example.cn", "localhost", "127.0.0.1", "[::1]" }));
            Assert.That(LocalWebHost.AllowedHosts(["http://0.0.0.0:5080"]), Is.EqualTo(new[] { "*" }));
            Assert.That(LocalWebHost.AllowedHosts(["http://10.1.2.3:5080"]), Is.EqualTo(new[] { "10.1.2.3" }));
        });
    }

    [Test]
    public void Serving_beyond_loopback_without_a_token_is_refused()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ChangeDetectionException>(() => JobsHost.BuildServe(new JobsHostOptions { Storage = Spec(dir), Urls = ["http://0.0.0.0:5080"] }));
        Assert.That(e!.Message, Does.Contain("refusing to serve").And.Contain(JobsHostOptions.TokenVariable));
    }

    [TestCase("http://127.0.0.1:5080", true)]
    [TestCase("http://127.3.4.5:80/", true)]
    [TestCase("http://localhost:5080", true)]
    [TestCase("http://[::1]:5080", true)]
    [TestCase("http://0.0.0.0:5080", false)]
    [TestCase("http://*:5080", false)]
    [TestCase("http://+:5080", false)]
    [TestCase("http://[::]:5080", false)]
    [TestCase("http://192.168.1.20:5080", false)]
    [TestCase("http://example.org:5080", false)]
    public void Loopback_addresses(string url, bool loopback) => Assert.That(LocalWebHost.IsLoopback(url), Is.EqualTo(loopback));

    [Test, Category("Slow")]
    public async Task A_worker_host_runs_an_enqueued_region()
    {
        using var dir = new TempDir();
        SyntheticRegion.Generate(dir.File("region"), new SyntheticRegionOptions { Size = 256, Seed = 11 });
        var spec = Spec(dir);
        string id = RegionJobs.Enqueue(new BackgroundJobClient(spec.Open()), dir.File("region/region.json"));
        using var host = JobsHost.BuildWorker(new JobsHostOptions { Storage = spec, WorkerCount = 1 });
        await host.StartAsync();
        var monitor = spec.Open().GetMonitoringApi();
        var clock = Stopwatch.StartNew();
        while (monitor.JobDetails(id).History.FirstOrDefault()?.StateName is not ("Succeeded" or "Failed") && clock.Elapsed < TimeSpan.FromSeconds(40))
            await Task.Delay(100);
        await host.StopAsync();
        var state = monitor.JobDetails(id).History.First();
        Assert.That(state.StateName, Is.EqualTo("Succeeded"), () => string.Join("; ", state.Data.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.That(File.Exists(dir.File("region/out/run.json")), Is.True);
    }
}
