using System.Text.Json;
using ChangeDetection.Pipeline;
using static ChangeDetection.Tests.Pipeline.RegionRunSample;

namespace ChangeDetection.Tests.Pipeline;

/// <summary>
/// Ctrl+C during the export (chips, province packages): the run stops inside it rather than after every package is
/// written, leaves the previous deliverable set whole and no half-written one, and the same run again resumes to the bytes
/// of an uninterrupted run.
/// </summary>
[TestFixture]
public class RegionRunCancelExportTests
{
    /// <summary>Cancels its token at the export's first task packaged, and keeps what the export reported.</summary>
    private sealed class StopInExport : IProgress<StageProgress>, IDisposable
    {
        private readonly CancellationTokenSource _source = new();
        private readonly Lock _gate = new();
        private readonly List<StageProgress> _reports = [];

        public CancellationToken Token => _source.Token;

        public IReadOnlyList<StageProgress> Reports
        {
            get { lock (_gate) return [.. _reports]; }
        }

        public void Report(StageProgress value)
        {
            if (value.Stage != "export") return;
            lock (_gate) _reports.Add(value);
            if (value.Done >= 1) _source.Cancel();
        }

        public void Dispose() => _source.Dispose();
    }

    [Test]
    public void A_run_stopped_in_its_export_keeps_the_previous_set_and_resumes_to_the_bytes_of_an_uninterrupted_run()
    {
        using var dir = new TempDir();
        string output = dir.File("out");
        var clean = CleanRun;
        // The previous set: the same region without a classifier (the same ledger key: only the vector stages differ).
        RegionRun.Run(Config, Options(output) with { Model = "none" });
        var old = RegionRunDeliveryTests.DeliveredSet(output);

        using var stop = new StopInExport();
        Assert.Throws<OperationCanceledException>(() => RegionRun.Run(Config, Options(output), stop, stop.Token));
        var reports = stop.Reports;
        var leftovers = Directory.GetFileSystemEntries(output, "*", SearchOption.AllDirectories)
            .Where(e => e.Contains(".partial", StringComparison.Ordinal) || e.Contains(".old-", StringComparison.Ordinal) || e.Contains("delivery.", StringComparison.Ordinal));
        using (var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "run.json"))))
        {
            TestContext.Out.WriteLine($"export reports before the stop: {string.Join(", ", reports.Select(r => $"{r.Done}/{r.Total}"))}; tasks {clean.TasksByProvince.Values.Sum()}");
            Assert.Multiple(() =>
            {
                Assert.That(reports, Is.Not.Empty, "the export reports its tasks");
                Assert.That(reports[0].Total, Is.EqualTo(clean.TasksByProvince.Values.Sum()), "of every task of the run");
                Assert.That(reports.Any(r => r.Done >= r.Total), Is.False, "stopped inside the export, before its last task was packaged");
                Assert.That(RegionRunDeliveryTests.DeliveredSet(output), Is.EqualTo(old), "the previous set, whole");
                Assert.That(leftovers, Is.Empty, "no staged or half-written delivery left");
                Assert.That(record.RootElement.GetProperty("status").GetString(), Is.EqualTo("running"), "run.json does not claim a new complete set");
            });
        }

        var resumed = RegionRun.Run(Config, Options(output));
        Assert.Multiple(() =>
        {
            Assert.That(resumed.TilesResumed, Is.EqualTo(resumed.Tiles), "every mask tile resumed");
            Assert.That(resumed.Outputs.Select(o => Path.GetRelativePath(output, o)), Is.EqualTo(clean.Outputs.Select(o => Path.GetRelativePath(clean.OutputFolder, o))));
            foreach (var (a, b) in resumed.Outputs.Zip(clean.Outputs))
                Assert.That(Hashes(a), Is.EqualTo(Hashes(b)), Path.GetFileName(a));
        });
    }
}
