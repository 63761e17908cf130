using ChangeDetection.Cli.Review;
using ChangeDetection.Pipeline;
using ChangeDetection.Review;
using Microsoft.Playwright;

namespace ChangeDetection.Tests.Cli.Review;

/// <summary>
/// The review page in a real browser: Debian's chromium driven by Playwright (its own browser download is not
/// reachable here, so the browser is launched by path). One walk through the page on the shared demo run; a
/// screenshot is attached to the test.
/// </summary>
[TestFixture]
[Category("Slow")]
public sealed class ReviewBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Test]
    public async Task Open_the_page_click_a_task_press_a_and_the_verdict_survives_a_reload()
    {
        if (!File.Exists(Chromium)) Assert.Ignore($"no Chromium at {Chromium}: install Debian's chromium package (.ci/run does).");
        using var dir = new TempDir();
        string run = ReviewDemoRun.Copy(dir);
        var tasks = RunTasks.Read(Path.Combine(run, RunTasks.FileName));
        await using var app = ReviewHost.Build(new ReviewHostOptions { RunFolder = run, Urls = ["http://127.0.0.1:0"] });
        await app.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 900 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        await page.GotoAsync(app.Urls.Single());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        int patches = await page.Locator("#map path.leaflet-interactive").CountAsync();
        int tiles = await page.Locator("#map img.leaflet-tile").CountAsync();

        // The first task the classifier gave a change class: 'a' accepts that class.
        var row = page.Locator("#tasks tbody tr").Filter(new LocatorFilterOptions { HasNotText = "unclassified" }).First;
        string jcbh = (await row.GetAttributeAsync("data-jcbh"))!;
        string cls = tasks.Single(t => t.JCBH == jcbh).BHLX;
        await row.ClickAsync();
        await page.WaitForFunctionAsync("() => ['chip-before', 'chip-after'].every(id => { const i = document.getElementById(id); return i.complete && i.naturalWidth > 0; })");
        await page.Keyboard.PressAsync("a");
        var verdictCell = page.Locator($"#tasks tr[data-jcbh='{jcbh}'] td:last-child");
        await Assertions.Expect(verdictCell).ToHaveTextAsync(cls);
        // A verdict moves on to the next task; key 3 gives it the third result code (pond).
        var next = page.Locator("#tasks tbody tr.selected");
        await Assertions.Expect(next).Not.ToHaveAttributeAsync("data-jcbh", jcbh);
        string nextJcbh = (await next.GetAttributeAsync("data-jcbh"))!;
        await page.Keyboard.PressAsync("3");
        await Assertions.Expect(page.Locator($"#tasks tr[data-jcbh='{nextJcbh}'] td:last-child")).ToHaveTextAsync("pond");
        string shot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "review-page.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot });
        TestContext.AddTestAttachment(shot, "the review page on the demo run after one verdict");

        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]");
        string afterReload = await page.Locator($"#tasks tr[data-jcbh='{jcbh}'] td:last-child").InnerTextAsync();
        string progress = await page.Locator("#progress").InnerTextAsync();
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty, "no script error");
            Assert.That(patches, Is.EqualTo(tasks.Count), "every task is a patch on the map");
            Assert.That(tiles, Is.GreaterThan(0), "the quicklook is drawn");
            Assert.That(afterReload, Is.EqualTo(cls), "the verdict is still there after a reload");
            Assert.That(progress, Does.StartWith($"2 / {tasks.Count} reviewed"));
            Assert.That(ReviewVerdicts.Open(run).Get(jcbh)?.Result, Is.EqualTo(cls));
            Assert.That(ReviewVerdicts.Open(run).Get(nextJcbh)?.Result, Is.EqualTo("pond"));
        });
    }
}
