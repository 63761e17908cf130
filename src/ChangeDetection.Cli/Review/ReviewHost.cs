using System.Globalization;
using System.Text;
using System.Text.Json;
using ChangeDetection.Classification;
using ChangeDetection.Jobs;
using ChangeDetection.Review;
using ChangeDetection.Tasks;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChangeDetection.Cli.Review;

/// <summary>What <c>cdx review</c> serves.</summary>
internal sealed record ReviewHostOptions
{
    /// <summary>The output folder of a finished run.</summary>
    public required string RunFolder { get; init; }
    /// <summary>Listen addresses; loopback by default.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];
    /// <summary>The page's credential (bearer token, or the password of HTTP basic authentication); required off loopback.</summary>
    public string? Token { get; init; }
    /// <summary>A labelled feature table (<c>cdx train --export-features</c>) the page's retraining adds to the verdicts, or null.</summary>
    public string? Labels { get; init; }

    public const string DefaultUrl = "http://127.0.0.1:5081";
    /// <summary>The environment variable that holds the token.</summary>
    public const string TokenVariable = "CDX_REVIEW_TOKEN";
}

/// <summary>
/// The review page of one run (ASP.NET Core minimal API, hosted by the rules of <see cref="LocalWebHost"/>):
/// the page and Leaflet as embedded files, and a JSON API — the patches in pixel space, a paged and filtered
/// task list, quicklook tiles, the packages' chips, verdicts (POST, antiforgery-checked), the results file and
/// retraining. Every request needs the token when one is set, and comes from this machine when none is.
/// </summary>
internal static class ReviewHost
{
    /// <summary>The antiforgery header the page sends with every POST.</summary>
    public const string AntiforgeryHeader = "X-CDX-Antiforgery";
    /// <summary>The largest page of the task list.</summary>
    public const int MaxPage = 500;
    /// <summary>The model the page's retraining writes, in the run's review folder.</summary>
    public const string ModelName = "classifier.zip";

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>Opens the run and builds the page's host (not started). The run is disposed with the host.</summary>
    /// <exception cref="ChangeDetectionException">A non-loopback address without a token, or no finished run in the folder.</exception>
    public static WebApplication Build(ReviewHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = LocalWebHost.CreateBuilder(options.Urls, options.Token, "the review page", ReviewHostOptions.TokenVariable, ReviewHostOptions.DefaultUrl);
        builder.Services.AddAntiforgery(o => o.HeaderName = AntiforgeryHeader);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // Disposed when the host stops (or here if building fails): the analyzer cannot follow it into the lifetime callback.
#pragma warning disable CA2000
        var run = ReviewRun.Open(options.RunFolder);
#pragma warning restore CA2000
        try
        {
            var app = builder.Build();
            app.Lifetime.ApplicationStopped.Register(run.Dispose);
            LocalWebHost.UseAccessRules(app, new DashboardAuthorization(options.Token), default, "cdx review");
            Map(app, run, options);
            return app;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    private static void Map(WebApplication app, ReviewRun run, ReviewHostOptions options)
    {
        var tiles = new QuicklookTiles(run);
        app.MapGet("/", () => Embedded("index.html"));
        app.MapGet("/static/{**path}", (string path) => Embedded(path));
        app.MapGet("/api/session", (HttpContext context, IAntiforgery antiforgery) => Session(run, antiforgery.GetAndStoreTokens(context).RequestToken!));
        app.MapGet("/api/patches", () => Results.Text(Patches(run), "application/geo+json"));
        app.MapGet("/api/layers", () => Results.Text(Layers(run), "application/geo+json"));
        app.MapGet("/api/tasks", (HttpRequest request) => TaskPage(run, request));
        app.MapGet("/api/tasks/{jcbh}", (string jcbh) => run.Task(jcbh) is { } t ? Results.Json(Row(run, t)) : NotFound(jcbh));
        app.MapGet("/api/progress", () => Results.Json(Progress(run)));
        app.MapGet("/api/chips/{jcbh}/{date}", (string jcbh, string date) =>
            date is not ("before" or "after") ? Results.NotFound()
            : run.Task(jcbh) is not { } t ? NotFound(jcbh)
            : run.ChipPath(t, date) is string chip ? Results.File(chip, "image/png") : Results.NotFound());
        app.MapGet("/api/tiles/{date}/{z:int}/{x:int}/{y:int}", (HttpContext context, string date, int z, int x, int y) =>
        {
            if (date is not ("before" or "after")) return Results.NotFound();
            var png = tiles.Get(date == "after", z, x, y);
            if (png is null) return Results.NotFound();
            // The images do not change under a finished run: let the browser keep the tiles.
            context.Response.Headers.CacheControl = "private, max-age=3600";
            return Results.Bytes(png, "image/png");
        });
        app.MapGet("/api/results.csv", () => File.Exists(run.Verdicts.Path)
            ? Results.File(run.Verdicts.Path, "text/csv; charset=utf-8", $"{run.Record.Region.Code}_{run.Record.Region.Quarter}_{ReviewVerdicts.FileName}")
            : Results.NotFound(new { error = "no verdicts yet" }));
        app.MapPost("/api/verdicts/{jcbh}", async (HttpContext context, string jcbh, IAntiforgery antiforgery) =>
        {
            if (await Forged(context, antiforgery).ConfigureAwait(false) is { } refused) return refused;
            if (run.Task(jcbh) is not { } task) return NotFound(jcbh);
            VerdictRequest? body;
            try
            {
                body = await context.Request.ReadFromJsonAsync<VerdictRequest>().ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                return Results.BadRequest(new { error = $"not a verdict: {e.Message}" });
            }
            if (body is null) return Results.BadRequest(new { error = "no verdict in the request body" });
            if (body.Kind == "clear")
            {
                run.Verdicts.Clear(task.JCBH);
                return Results.Json(Row(run, task));
            }
            if (!Enum.TryParse<VerdictKind>(body.Kind, ignoreCase: true, out var kind))
                return Results.BadRequest(new { error = $"'{body.Kind}' is not a verdict; use change, pseudo, unsure or clear" });
            try
            {
                run.Verdicts.Set(task, kind, body.Code, body.Remark);
            }
            catch (ChangeDetectionException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
            return Results.Json(Row(run, task));
        });
        app.MapPost("/api/train", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (await Forged(context, antiforgery).ConfigureAwait(false) is { } refused) return refused;
            try
            {
                return Results.Json(Retrain(run, options.Labels));
            }
            catch (ChangeDetectionException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
    }

    /// <summary>The verdict a page posts: <c>change</c> (with <see cref="Code"/>), <c>pseudo</c>, <c>unsure</c> or <c>clear</c>, and a remark.</summary>
    internal sealed record VerdictRequest(string Kind, string? Code, string? Remark);

    /// <summary>Null when the request carries a valid antiforgery token (cookie and header), else the 400 to answer.</summary>
    private static async Task<IResult?> Forged(HttpContext context, IAntiforgery antiforgery)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(context).ConfigureAwait(false);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return Results.BadRequest(new { error = $"missing or invalid antiforgery token (header {AntiforgeryHeader}); reload the page" });
        }
    }

    private static IResult NotFound(string jcbh) => Results.NotFound(new { error = $"no task {jcbh} in this run" });

    /// <summary>A file of the page (under Review/wwwroot, embedded in cdx), or 404.</summary>
    private static IResult Embedded(string path)
    {
        if (path.Contains("..", StringComparison.Ordinal)) return Results.NotFound();
        var stream = typeof(ReviewHost).Assembly.GetManifestResourceStream("review/" + path);
        if (stream is null) return Results.NotFound();
        string type = ContentTypes.TryGetContentType(path, out var t) ? t : "application/octet-stream";
        if (type.StartsWith("text/", StringComparison.Ordinal) || type.EndsWith("javascript", StringComparison.Ordinal)) type += "; charset=utf-8";
        return Results.Stream(stream, type);
    }

    private static object Session(ReviewRun run, string token)
    {
        var r = run.Record;
        return new
        {
            antiforgery = token,
            antiforgeryHeader = AntiforgeryHeader,
            region = new { r.Region.Code, r.Region.Name, r.Region.Quarter },
            dates = r.Dates is { } d ? new { before = d.Before.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), after = d.After.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) } : null,
            width = run.Grid.Width,
            height = run.Grid.Height,
            tileSize = QuicklookTiles.Size,
            maxLevel = QuicklookTiles.MaxLevel(run.Grid.Width, run.Grid.Height),
            total = run.Tasks.Count,
            // The result codes of the keys 1–9: the classes an inspector can report, pseudo-change included.
            codes = VerificationResults.Verifiable.Select(c => new { c.Code, name = c.ChineseName }).ToList(),
            priorities = new[] { TaskPriority.High, TaskPriority.Medium, TaskPriority.Low }.Select(p => new { code = p, name = TaskPriority.ChineseName(p) }).ToList(),
            counties = run.Tasks.GroupBy(t => t.XZQDM).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new { code = g.Key, name = g.First().XZQMC, tasks = g.Count() }).ToList(),
            layers = run.Layers.Select(l => new { l.Name, l.Kind }).ToList(),
            verdictsFile = run.Verdicts.Path,
            warnings = run.Warnings,
        };
    }

    /// <summary>Every task as a GeoJSON feature in pixel space, with what the map colours by.</summary>
    private static string Patches(ReviewRun run)
    {
        var verdicts = run.Verdicts.All();
        return FeatureCollection(run, run.Tasks, t => t.Geometry, t => t.JCBH, (json, t) =>
        {
            json.WriteString("jcbh", t.JCBH);
            json.WriteString("bhlx", t.BHLX);
            json.WriteString("yxj", t.YXJ);
            json.WriteString("verdict", verdicts.TryGetValue(t.JCBH, out var v) ? v.Kind.ToString().ToLowerInvariant() : null);
        });
    }

    /// <summary>The red-line layers' polygons in pixel space, each feature with its layer's name and kind.</summary>
    private static string Layers(ReviewRun run) =>
        FeatureCollection(run, run.Layers.SelectMany(l => l.Layer.Features.Select(f => (Layer: l, Feature: f))), x => x.Feature.Geometry, _ => null, (json, x) =>
        {
            json.WriteString("layer", x.Layer.Name);
            json.WriteString("kind", x.Layer.Kind);
        });

    /// <summary>A GeoJSON FeatureCollection of <paramref name="items"/> in the run's pixel space (<see cref="PixelGeoJson"/>).</summary>
    private static string FeatureCollection<T>(ReviewRun run, IEnumerable<T> items, Func<T, NetTopologySuite.Geometries.Geometry> geometry, Func<T, string?> id, Action<Utf8JsonWriter, T> properties)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "FeatureCollection");
            json.WriteStartArray("features");
            foreach (var item in items)
            {
                json.WriteStartObject();
                json.WriteString("type", "Feature");
                if (id(item) is string i) json.WriteString("id", i);
                json.WriteStartObject("properties");
                properties(json, item);
                json.WriteEndObject();
                json.WritePropertyName("geometry");
                PixelGeoJson.WriteGeometry(json, geometry(item), run.Grid.Transform);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// <c>GET /api/tasks?offset=0&amp;limit=50&amp;class=&amp;priority=&amp;county=&amp;verdict=</c>: one page of the tasks in review
    /// order after the filters (verdict <c>none</c> for not reviewed yet), with the total they leave.
    /// </summary>
    private static IResult TaskPage(ReviewRun run, HttpRequest request)
    {
        var q = request.Query;
        int offset = int.TryParse(q["offset"], NumberStyles.None, CultureInfo.InvariantCulture, out int o) ? o : 0;
        int limit = int.TryParse(q["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out int l) ? Math.Clamp(l, 1, MaxPage) : 50;
        string cls = q["class"].ToString(), priority = q["priority"].ToString(), county = q["county"].ToString(), verdict = q["verdict"].ToString();
        var verdicts = run.Verdicts.All();
        var filtered = run.Tasks.Where(t =>
            (cls.Length == 0 || t.BHLX == cls) &&
            (priority.Length == 0 || t.YXJ == priority) &&
            (county.Length == 0 || t.XZQDM == county) &&
            (verdict.Length == 0 || (verdicts.TryGetValue(t.JCBH, out var v) ? v.Kind.ToString().Equals(verdict, StringComparison.OrdinalIgnoreCase) : verdict == "none"))).ToList();
        return Results.Json(new
        {
            total = filtered.Count,
            offset,
            items = filtered.Skip(offset).Take(limit).Select(t => Row(run, t, verdicts.GetValueOrDefault(t.JCBH))).ToList(),
        });
    }

    private static object Row(ReviewRun run, VerificationTask t) => Row(run, t, run.Verdicts.Get(t.JCBH));

    /// <summary>A task as the list and the patch view show it: fields, overlaps by layer (m²; null = layer not checked), bounds in pixels, verdict.</summary>
    private static object Row(ReviewRun run, VerificationTask t, Verdict? v)
    {
        var overlaps = new Dictionary<string, double?>
        {
            ["YJJBNTMJ"] = t.YJJBNTMJ, ["GDMJ"] = t.GDMJ, ["STHXMJ"] = t.STHXMJ, ["CZKFMJ"] = t.CZKFMJ,
        };
        foreach (var (name, m2) in t.Extra) overlaps[name] = m2;
        return new
        {
            jcbh = t.JCBH,
            xzqdm = t.XZQDM,
            xzqmc = t.XZQMC,
            province = t.Province,
            bhlx = t.BHLX,
            bhlxmc = t.BHLXMC,
            zxd = Math.Round(t.ZXD, 3),
            tbmj = Math.Round(t.TBMJ, 2),
            mu = Math.Round(t.TBMJMU, 3),
            yxj = t.YXJ,
            yxjmc = TaskPriority.ChineseName(t.YXJ),
            qsx = t.QSX.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            hsx = t.HSX.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            jd = t.JD,
            wd = t.WD,
            overlaps = overlaps.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value!.Value, 2)),
            bounds = PixelGeoJson.PixelBounds(t.Geometry, run.Grid.Transform),
            verdict = v is null ? null : new { kind = v.Kind.ToString().ToLowerInvariant(), code = v.Result, remark = v.Remark, reviewedUtc = v.ReviewedUtc },
        };
    }

    /// <summary>Reviewed (any verdict) and total tasks per province, and over the run.</summary>
    private static object Progress(ReviewRun run)
    {
        var verdicts = run.Verdicts.All();
        return new
        {
            reviewed = run.Tasks.Count(t => verdicts.ContainsKey(t.JCBH)),
            total = run.Tasks.Count,
            provinces = run.Tasks.GroupBy(t => t.Province).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new { province = g.Key, name = Provinces.NameOf(g.Key), reviewed = g.Count(t => verdicts.ContainsKey(t.JCBH)), total = g.Count() }).ToList(),
        };
    }

    /// <summary>
    /// Trains the patch classifier on the verdicts (joined to the run's patch features as <c>cdx train --results</c>
    /// joins a results file) plus the labelled table given to <c>cdx review --labels</c>, and writes it to the
    /// run's review folder.
    /// </summary>
    private static object Retrain(ReviewRun run, string? labels)
    {
        if (!File.Exists(run.Verdicts.Path)) throw new ChangeDetectionException("no verdicts yet: judge some tasks first.");
        var feedback = VerificationFeedback.Load(run.Verdicts.Path, run.Folder);
        var examples = new List<LabelledFeatures>(feedback.Examples);
        if (labels is not null) examples.AddRange(FeatureTable.Read(labels));
        var classifier = PatchClassifier.Train(examples, new PatchClassifierOptions { Seed = 1 });
        string model = Path.Combine(run.Folder, ReviewVerdicts.FolderName, ModelName);
        classifier.Save(model);
        return new
        {
            model,
            examples = examples.Count,
            verdicts = feedback.Examples.Count,
            byClass = examples.GroupBy(e => e.Label).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            next = $"cdx run {run.Record.Config.Path} --model {model}",
        };
    }
}
