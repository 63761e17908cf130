using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChangeDetection.Cli.Review;
using ChangeDetection.Pipeline;
using ChangeDetection.Review;
using Microsoft.AspNetCore.Builder;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static ChangeDetection.Tests.Cli.CdxRunner;

namespace ChangeDetection.Tests.Cli.Review;

/// <summary>
/// The endpoints of <c>cdx review</c> on a demo run, in-process on a real loopback socket: the page's access
/// rule without a token is "requests from this machine", which needs a real remote address (an in-memory
/// test server has none), so the host runs exactly as <c>cdx review</c> runs it.
/// </summary>
[TestFixture]
[Category("Slow")]
public sealed class ReviewHostTests
{
    private TempDir _dir = null!;
    private string _run = null!;
    private IReadOnlyList<ChangeDetection.Tasks.VerificationTask> _tasks = null!;

    [OneTimeSetUp]
    public void CopyTheRun()
    {
        _dir = new TempDir();
        _run = ReviewDemoRun.Copy(_dir);
        _tasks = RunTasks.Read(Path.Combine(_run, RunTasks.FileName));
        Assert.That(_tasks, Has.Count.GreaterThanOrEqualTo(4), "the demo run needs a few tasks to review");
    }

    [OneTimeTearDown]
    public void Delete() => _dir.Dispose();

    [SetUp]
    public void NoVerdictsYet()
    {
        string folder = Path.Combine(_run, ReviewVerdicts.FolderName);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>A started page on a free loopback port, and a client with a cookie jar (the antiforgery cookie).</summary>
    private sealed class Page : IAsyncDisposable
    {
        private Page(WebApplication app, HttpClient http) => (App, Http) = (app, http);
        public WebApplication App { get; }
        public HttpClient Http { get; }
        public string Url => App.Urls.Single().TrimEnd('/');

        public static async Task<Page> Start(string run, string? token = null)
        {
            var app = ReviewHost.Build(new ReviewHostOptions { RunFolder = run, Urls = ["http://127.0.0.1:0"], Token = token });
            await app.StartAsync().ConfigureAwait(false);
            // The page owns the client (and the client its handler) until it is disposed.
#pragma warning disable CA2000
            var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }, disposeHandler: true) { BaseAddress = new Uri(app.Urls.Single()) };
#pragma warning restore CA2000
            return new Page(app, http);
        }

        /// <summary>The antiforgery request token of a session (the cookie goes into the jar).</summary>
        public async Task<string> Antiforgery()
        {
            using var session = await JsonDocument.ParseAsync(await Http.GetStreamAsync(new Uri("/api/session", UriKind.Relative)).ConfigureAwait(false)).ConfigureAwait(false);
            return session.RootElement.GetProperty("antiforgery").GetString()!;
        }

        public async Task<HttpResponseMessage> Judge(string jcbh, object verdict, string? antiforgery)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/verdicts/{jcbh}", UriKind.Relative)) { Content = JsonContent.Create(verdict) };
            if (antiforgery is not null) request.Headers.Add(ReviewHost.AntiforgeryHeader, antiforgery);
            return await Http.SendAsync(request).ConfigureAwait(false);
        }

        public async Task<JsonElement> Get(string path)
        {
            using var response = await Http.GetAsync(new Uri(path, UriKind.Relative)).ConfigureAwait(false);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
            return doc.RootElement.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await App.StopAsync().ConfigureAwait(false);
            await App.DisposeAsync().ConfigureAwait(false);
        }
    }

    [Test]
    public async Task The_page_and_leaflet_are_served_from_cdx_itself()
    {
        await using var page = await Page.Start(_run);
        string html = await page.Http.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.That(html, Does.Contain("/static/vendor/leaflet-1.7.1/leaflet.js").And.Not.Contain("://"), "nothing fetched from elsewhere");
        using var leaflet = await page.Http.GetAsync(new Uri("/static/vendor/leaflet-1.7.1/leaflet.js", UriKind.Relative));
        using var missing = await page.Http.GetAsync(new Uri("/static/vendor/nothing.js", UriKind.Relative));
        Assert.Multiple(async () =>
        {
            Assert.That(leaflet.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await leaflet.Content.ReadAsStringAsync(), Does.Contain("L={}"));
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Patches_are_geojson_in_pixel_space_of_the_image_grid()
    {
        await using var page = await Page.Start(_run);
        var patches = await page.Get("/api/patches");
        var record = RunRecord.Read(Path.Combine(_run, RunRecord.FileName));
        var g = record.Grid!.Geotransform;
        var features = patches.GetProperty("features").EnumerateArray().ToList();
        Assert.That(features.Select(f => f.GetProperty("id").GetString()), Is.EquivalentTo(_tasks.Select(t => t.JCBH)));
        foreach (var task in _tasks)
        {
            var feature = features.Single(f => f.GetProperty("id").GetString() == task.JCBH);
            var ring = feature.GetProperty("geometry").GetProperty("coordinates")[0][0].EnumerateArray().ToList();
            var outline = ((NetTopologySuite.Geometries.Polygon)task.Geometry.GetGeometryN(0)).ExteriorRing.Coordinates;
            Assert.That(ring, Has.Count.EqualTo(outline.Length));
            for (int i = 0; i < ring.Count; i++)
            {
                // x is the column and y the negated row (to a tenth of a pixel): back through the run's geotransform to the map coordinate.
                double col = ring[i][0].GetDouble(), row = -ring[i][1].GetDouble();
                Assert.That(g[0] + col * g[1] + row * g[2], Is.EqualTo(outline[i].X).Within(0.051 * Math.Abs(g[1])), task.JCBH);
                Assert.That(g[3] + col * g[4] + row * g[5], Is.EqualTo(outline[i].Y).Within(0.051 * Math.Abs(g[5])), task.JCBH);
            }
        }
    }

    [Test]
    public async Task Tiles_are_decimated_reads_of_the_same_pixels_and_chips_are_the_packages()
    {
        await using var page = await Page.Start(_run);
        var session = await page.Get("/api/session");
        int max = session.GetProperty("maxLevel").GetInt32();
        Assert.That(max, Is.GreaterThanOrEqualTo(1), "the demo scene is larger than one tile");
        using var overview = Image.Load<Rgba32>(await page.Http.GetByteArrayAsync(new Uri("/api/tiles/after/0/0/0", UriKind.Relative)));
        using var full = Image.Load<Rgba32>(await page.Http.GetByteArrayAsync(new Uri($"/api/tiles/after/{max}/0/0", UriKind.Relative)));
        using var before = Image.Load<Rgba32>(await page.Http.GetByteArrayAsync(new Uri($"/api/tiles/before/{max}/0/0", UriKind.Relative)));
        int step = 1 << max, differ = 0, beforeDiffers = 0;
        for (int y = 0; y < 256 / step; y++)
            for (int x = 0; x < 256 / step; x++)
            {
                if (overview[x, y] != full[x * step, y * step]) differ++;
                if (before[x * step, y * step] != full[x * step, y * step]) beforeDiffers++;
            }
        using var outside = await page.Http.GetAsync(new Uri($"/api/tiles/after/{max}/99/0", UriKind.Relative));
        var task = _tasks[0];
        string chip = Path.Combine(_run, "provinces", ChangeDetection.Export.ProvincePackage.FolderName(task.Province), "chips", task.JCBH + "_before.png");
        using var unknown = await page.Http.GetAsync(new Uri("/api/chips/3203059999Q99999/before", UriKind.Relative));
        Assert.Multiple(async () =>
        {
            Assert.That((overview.Width, overview.Height, full.Width), Is.EqualTo((256, 256, 256)));
            Assert.That(differ, Is.Zero, "the overview shows every n-th pixel of the full-resolution tile");
            Assert.That(beforeDiffers, Is.GreaterThan(0), "the two dates are two images");
            Assert.That(outside.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await page.Http.GetByteArrayAsync(new Uri($"/api/chips/{task.JCBH}/before", UriKind.Relative)), Is.EqualTo(await File.ReadAllBytesAsync(chip)));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task The_list_is_sorted_by_priority_then_area_paged_and_filtered()
    {
        await using var page = await Page.Start(_run);
        var all = (await page.Get("/api/tasks?limit=500")).GetProperty("items").EnumerateArray()
            .Select(t => (Jcbh: t.GetProperty("jcbh").GetString()!, Rank: ReviewRun.PriorityRank(t.GetProperty("yxj").GetString()!), Area: t.GetProperty("tbmj").GetDouble())).ToList();
        var second = await page.Get("/api/tasks?offset=1&limit=2");
        string af = await page.Antiforgery();
        using (await page.Judge(all[0].Jcbh, new { kind = "pseudo" }, af)) { }
        var open = await page.Get("/api/tasks?verdict=none");
        var pseudo = await page.Get("/api/tasks?verdict=pseudo");
        string county = _tasks[^1].XZQDM;
        var inCounty = await page.Get($"/api/tasks?county={county}");
        Assert.Multiple(() =>
        {
            Assert.That(all.Select(t => t.Jcbh), Is.EquivalentTo(_tasks.Select(t => t.JCBH)));
            Assert.That(all.Select(t => (t.Rank, -t.Area)), Is.Ordered);
            Assert.That(second.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("jcbh").GetString()), Is.EqualTo(all.Skip(1).Take(2).Select(t => t.Jcbh)));
            Assert.That(second.GetProperty("total").GetInt32(), Is.EqualTo(all.Count));
            Assert.That(open.GetProperty("total").GetInt32(), Is.EqualTo(all.Count - 1));
            Assert.That(pseudo.GetProperty("items")[0].GetProperty("jcbh").GetString(), Is.EqualTo(all[0].Jcbh));
            Assert.That(inCounty.GetProperty("total").GetInt32(), Is.EqualTo(_tasks.Count(t => t.XZQDM == county)));
        });
    }

    [Test]
    public async Task A_verdict_needs_the_antiforgery_token()
    {
        await using var page = await Page.Start(_run);
        string jcbh = _tasks[0].JCBH;
        using var without = await page.Judge(jcbh, new { kind = "change", code = "construction" }, null);
        Assert.That(without.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(File.Exists(ReviewVerdicts.PathIn(_run)), Is.False, "a refused request writes nothing");
        using var forged = await page.Judge(jcbh, new { kind = "change", code = "construction" }, "forged");
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

        string token = await page.Antiforgery();
        using var with = await page.Judge(jcbh, new { kind = "change", code = "construction", remark = "新建厂房" }, token);
        using var badCode = await page.Judge(jcbh, new { kind = "change", code = "castle" }, token);
        Assert.Multiple(async () =>
        {
            Assert.That(with.StatusCode, Is.EqualTo(HttpStatusCode.OK), await with.Content.ReadAsStringAsync());
            Assert.That(File.ReadAllText(ReviewVerdicts.PathIn(_run)), Does.Contain($"{jcbh},").And.Contain("construction,change,新建厂房"));
            Assert.That(badCode.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await badCode.Content.ReadAsStringAsync(), Does.Contain("castle"));
        });
    }

    [Test]
    public async Task A_foreign_host_is_refused_and_a_token_is_required_off_loopback_and_then_on_every_request()
    {
        await using (var page = await Page.Start(_run))
        {
            using var rebinding = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/session", UriKind.Relative));
            rebinding.Headers.Host = "evil.example";
            using var refused = await page.Http.SendAsync(rebinding);
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }
        var e = Assert.Throws<ChangeDetectionException>(() => ReviewHost.Build(new ReviewHostOptions { RunFolder = _run, Urls = ["http://0.0.0.0:5081"] }));
        Assert.That(e!.Message, Does.Contain("0.0.0.0").And.Contain(ReviewHostOptions.TokenVariable));
        await using (var page = await Page.Start(_run, token: "s3cret"))
        {
            using var anonymous = await page.Http.GetAsync(new Uri("/api/tasks", UriKind.Relative));
            page.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
            using var bearer = await page.Http.GetAsync(new Uri("/api/tasks", UriKind.Relative));
            Assert.That((anonymous.StatusCode, bearer.StatusCode), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.OK)));
        }
    }

    [Test]
    public async Task Verdicts_survive_a_restart_and_count_in_the_progress()
    {
        var ids = _tasks.Select(t => t.JCBH).ToList();
        await using (var page = await Page.Start(_run))
        {
            string af = await page.Antiforgery();
            using (await page.Judge(ids[0], new { kind = "unsure", remark = "clouds" }, af)) { }
            using (await page.Judge(ids[1], new { kind = "pseudo" }, af)) { }
        }
        await using (var page = await Page.Start(_run))
        {
            var first = await page.Get($"/api/tasks/{ids[0]}");
            var progress = await page.Get("/api/progress");
            var province = _tasks[0].Province;
            var row = progress.GetProperty("provinces").EnumerateArray().Single(p => p.GetProperty("province").GetString() == province);
            Assert.Multiple(() =>
            {
                Assert.That(first.GetProperty("verdict").GetProperty("kind").GetString(), Is.EqualTo("unsure"));
                Assert.That(first.GetProperty("verdict").GetProperty("remark").GetString(), Is.EqualTo("clouds"));
                Assert.That(progress.GetProperty("reviewed").GetInt32(), Is.EqualTo(2));
                Assert.That(progress.GetProperty("total").GetInt32(), Is.EqualTo(_tasks.Count));
                Assert.That(row.GetProperty("reviewed").GetInt32(), Is.EqualTo(_tasks.Take(2).Count(t => t.Province == province)));
                Assert.That(row.GetProperty("total").GetInt32(), Is.EqualTo(_tasks.Count(t => t.Province == province)));
            });
        }
    }

    [Test]
    public async Task The_exported_results_file_round_trips_through_train()
    {
        var ids = _tasks.Select(t => t.JCBH).ToList();
        string results = _dir.File("results.csv");
        await using (var page = await Page.Start(_run))
        {
            string af = await page.Antiforgery();
            for (int i = 0; i < ids.Count; i++)
            {
                using var r = await page.Judge(ids[i], i % 2 == 0 ? new { kind = "change", code = "pond" } : new { kind = "pseudo", code = "" }, af);
                Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }
            await File.WriteAllBytesAsync(results, await page.Http.GetByteArrayAsync(new Uri("/api/results.csv", UriKind.Relative)));
        }
        int ponds = (ids.Count + 1) / 2, pseudo = ids.Count / 2;
        // Leave-one-out: with two of each class every training fold holds both classes.
        string folds = ids.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (code, stdout, stderr) = Cdx("train", "--results", results, "--run", _run, "--out", _dir.File("m.zip"), "--folds", folds);
        var (code2, stdout2, stderr2) = Cdx("train", "--results", "review", "--run", _run, "--out", _dir.File("m2.zip"), "--folds", folds);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain($"{ids.Count} verified patches used: pond {ponds}, pseudo {pseudo}; 0 not verified"));
            Assert.That(File.Exists(_dir.File("m.zip")), Is.True);
            Assert.That(code2, Is.Zero, stderr2);
            Assert.That(stdout2, Does.Contain(ReviewVerdicts.PathIn(_run)).And.Contain($"{ids.Count} verified patches used"));
        });
    }

    [Test]
    public async Task Retrain_needs_the_antiforgery_token_and_writes_a_model_from_the_verdicts()
    {
        var ids = _tasks.Select(t => t.JCBH).ToList();
        string model = Path.Combine(_run, ReviewVerdicts.FolderName, ReviewHost.ModelName);
        await using var page = await Page.Start(_run);
        string af = await page.Antiforgery();
        async Task<HttpResponseMessage> Train(string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/train", UriKind.Relative));
            if (token is not null) request.Headers.Add(ReviewHost.AntiforgeryHeader, token);
            return await page.Http.SendAsync(request);
        }
        using (await page.Judge(ids[0], new { kind = "pseudo" }, af)) { }
        using var oneClass = await Train(af);
        for (int i = 1; i < ids.Count; i++)
            using (await page.Judge(ids[i], i % 2 == 0 ? new { kind = "pseudo", code = "" } : new { kind = "change", code = "road" }, af)) { }
        using var forged = await Train(null);
        bool writtenWithoutToken = File.Exists(model);
        using var trained = await Train(af);
        string body = await trained.Content.ReadAsStringAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(oneClass.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await oneClass.Content.ReadAsStringAsync(), Does.Contain("two classes"));
            Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(writtenWithoutToken, Is.False);
            Assert.That(trained.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
            Assert.That(body, Does.Contain($"\"verdicts\":{ids.Count}").And.Contain("--model"));
            Assert.That(ChangeDetection.Classification.PatchClassifier.Load(model).Classes, Is.EquivalentTo(new[] { "pseudo", "road" }));
        });
    }

    [Test]
    public async Task Ten_thousand_tasks_are_listed_a_page_at_a_time()
    {
        using var big = new TempDir();
        string run = ReviewDemoRun.Copy(big);
        // 10 000 tasks: the demo's, numbered anew (the geometry repeats; the list, paging and map layer do not care).
        var many = Enumerable.Range(0, 10_000).Select(i => _tasks[i % _tasks.Count] with { JCBH = $"{_tasks[i % _tasks.Count].XZQDM}2026Q3{i:D5}" }).ToList();
        RunTasks.Write(Path.Combine(run, RunTasks.FileName), many);
        await using var page = await Page.Start(run);
        var first = await page.Get("/api/tasks");
        var huge = await page.Get("/api/tasks?offset=9990&limit=100000");
        string patches = await page.Http.GetStringAsync(new Uri("/api/patches", UriKind.Relative));
        TestContext.Out.WriteLine($"/api/patches of 10 000 tasks: {patches.Length / 1e6:0.0} MB");
        Assert.Multiple(() =>
        {
            Assert.That(first.GetProperty("total").GetInt32(), Is.EqualTo(10_000));
            Assert.That(first.GetProperty("items").GetArrayLength(), Is.EqualTo(50), "the default page");
            Assert.That(huge.GetProperty("items").GetArrayLength(), Is.EqualTo(10), "the last page holds what is left");
            Assert.That(Regex.Count(patches, "\"type\":\"Feature\""), Is.EqualTo(10_000), "every task on the map");
        });
        var capped = await page.Get("/api/tasks?limit=100000");
        Assert.That(capped.GetProperty("items").GetArrayLength(), Is.EqualTo(ReviewHost.MaxPage));
    }

    [Test]
    public void Review_of_a_folder_without_a_run_is_one_clear_line()
    {
        using var empty = new TempDir();
        var (code, _, stderr) = Cdx("review", empty.Path, "--urls", "http://127.0.0.1:0");
        var (code2, _, stderr2) = Cdx("train", "--results", "review", "--run", empty.Path, "--out", empty.File("m.zip"));
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr.Trim(), Does.StartWith("cdx: " + empty.Path).And.Contain("run.json").And.Not.Contain("\n"));
            Assert.That(code2, Is.EqualTo(2));
            Assert.That(stderr2.Trim(), Does.Contain("no verdicts yet").And.Contain("cdx review").And.Not.Contain("\n"));
        });
    }
}
