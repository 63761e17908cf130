using System.CommandLine;
using ChangeDetection.Review;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace ChangeDetection.Cli.Review;

/// <summary><c>cdx review RUN_DIR [--urls URL[,URL]] [--token T] [--labels FEATURES.csv]</c>: the review page of a finished run.</summary>
internal static class ReviewCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var run = new Argument<string>("RUN_DIR") { Description = "The output folder of a finished 'cdx run' (or 'cdx demo': DEMO/out)." };
        var urls = new Option<string>("--urls") { Description = $"Page addresses, comma-separated (default {ReviewHostOptions.DefaultUrl}, loopback only).", DefaultValueFactory = _ => ReviewHostOptions.DefaultUrl };
        var token = new Option<string?>("--token") { Description = $"Page credential, required off loopback (prefer the {ReviewHostOptions.TokenVariable} variable)." };
        var labels = new Option<string?>("--labels") { Description = "A labelled feature table ('cdx train --export-features') the page's Retrain adds to the verdicts." };
        var cmd = new Command("review", $"Serve a web page to check a run's tasks on a map and record verdicts (RUN_DIR/{ReviewVerdicts.FolderName}/{ReviewVerdicts.FileName}, a results file for 'cdx train --results {ReviewVerdicts.ResultsKeyword} --run RUN_DIR').") { run, urls, token, labels };
        cmd.SetAction(r => CdxApp.Guard(stderr, () =>
        {
            string? labelFile = r.GetValue(labels);
            if (labelFile is not null && !File.Exists(labelFile))
                throw Usage.Error("review", $"--labels {labelFile}: no such file; give a feature table written by 'cdx train --export-features'.");
            var options = new ReviewHostOptions
            {
                RunFolder = r.GetValue(run)!,
                Urls = r.GetValue(urls)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Token = r.GetValue(token) ?? Environment.GetEnvironmentVariable(ReviewHostOptions.TokenVariable),
                Labels = labelFile is null ? null : Path.GetFullPath(labelFile),
            };
            using var app = ReviewHost.Build(options);
            app.Start();
            stdout.WriteLine($"cdx review: run {Path.GetFullPath(options.RunFolder)}");
            stdout.WriteLine($"  verdicts {ReviewVerdicts.PathIn(options.RunFolder)}");
            foreach (var url in app.Urls) stdout.WriteLine($"  page {url.TrimEnd('/')}/");
            stdout.WriteLine("  Ctrl+C to stop");
            stdout.Flush();
            app.WaitForShutdown();
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
