using ChangeDetection.Export;
using ChangeDetection.Synthetic;
using ChangeDetection.Tasks;
using ChangeDetection.Tests.Tasks;

namespace ChangeDetection.Tests.Export;

/// <summary>
/// The packages' data files are written beside the chips, and the chips of every province in one loop
/// (<see cref="ProvincePackageOptions.Workers"/>): the bytes are those of one file after another, a province's chips those
/// <see cref="ChipWriter"/> writes for it alone, and a stop inside leaves no scratch folder behind.
/// </summary>
[TestFixture]
public class ProvincePackageWorkersTests
{
    private TempDir _dir = null!;
    private SyntheticRegionSummary _region = null!;
    private IReadOnlyList<VerificationTask> _tasks = null!;

    [OneTimeSetUp]
    public void MakeTasks()
    {
        _dir = new TempDir();
        _region = SyntheticRegion.Generate(_dir.File("region"), new SyntheticRegionOptions { Size = 512, Seed = 3, Workers = 1 });
        var truth = ChangeDetection.Overlay.GeoJsonLayer.Read(_region.TruthFile);
        var known = ChangeClasses.All.Select(c => c.Code).ToHashSet();
        var raw = truth
            .Select((f, i) => TaskSamples.Make(i % 2 == 0 ? "130102" : "410102", i % 2 == 0 ? "长安区" : "中原区", f.Geometry,
                known.Contains((string)f.Attributes["kind"]) ? (string)f.Attributes["kind"] : "unclassified"))
            .ToList();
        _tasks = TaskNumbering.Assign(raw, "2026Q3");
        Assert.That(_tasks.Select(t => t.Province).Distinct().Count(), Is.EqualTo(2), "tasks in two provinces");
    }

    [OneTimeTearDown]
    public void Cleanup() => _dir.Dispose();

    private ProvincePackageOptions Options(int? workers) => new()
    {
        Chips = new ChipSource(_region.BeforeImage, _region.AfterImage),
        Run = new PackageRun("410102", "中原区", "2026Q3", "f00dfeed", "9.9.9-test"),
        LastChange = new DateTime(2026, 7, 20, 0, 0, 0, DateTimeKind.Utc),
        Workers = workers,
    };

    /// <summary>Every file under <paramref name="root"/> by relative path, with its bytes.</summary>
    private static SortedDictionary<string, byte[]> Files(string root) =>
        new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes), StringComparer.Ordinal);

    [Test]
    public void OneWorkerAndSeveralWriteTheSameBytes()
    {
        var one = ProvincePackage.Write(_dir.File("w1"), _tasks, _region.Crs, Options(1));
        var two = ProvincePackage.Write(_dir.File("w2"), _tasks, _region.Crs, Options(2));
        var all = ProvincePackage.Write(_dir.File("wn"), _tasks, _region.Crs, Options(null));
        var (a, b, c) = (Files(_dir.File("w1")), Files(_dir.File("w2")), Files(_dir.File("wn")));
        Assert.Multiple(() =>
        {
            Assert.That(a.Keys.Count(k => k.EndsWith(".png", StringComparison.Ordinal)), Is.EqualTo(2 * _tasks.Count), "two chips a task");
            Assert.That(one.Select(r => r.Province), Is.EqualTo(new[] { "13", "41" }));
            Assert.That(two.Select(r => (r.Province, r.TaskCount)), Is.EqualTo(one.Select(r => (r.Province, r.TaskCount))));
            Assert.That(b.Keys, Is.EqualTo(a.Keys));
            Assert.That(c.Keys, Is.EqualTo(a.Keys));
            foreach (var (name, bytes) in a)
            {
                Assert.That(b[name], Is.EqualTo(bytes), $"workers 2: {name}");
                Assert.That(c[name], Is.EqualTo(bytes), $"workers null: {name}");
            }
        });
    }

    [Test]
    public void AProvincesChipsAreThoseWrittenForItAlone()
    {
        var packages = ProvincePackage.Write(_dir.File("together"), _tasks, _region.Crs, Options(2));
        foreach (var p in packages)
        {
            string alone = _dir.File($"alone-{p.Province}");
            var names = ChipWriter.Write(alone, _tasks.Where(t => t.Province == p.Province).ToList(), _region.Crs,
                new ChipSource(_region.BeforeImage, _region.AfterImage));
            var together = Files(Path.Combine(p.Folder, "chips"));
            Assert.That(together.Keys, Is.EqualTo(names.Order(StringComparer.Ordinal)), p.Province);
            foreach (var name in names)
                Assert.That(together[name], Is.EqualTo(File.ReadAllBytes(Path.Combine(alone, name))), $"{p.Province}: {name}");
        }
    }

    /// <summary>Cancels at the first task packaged.</summary>
    private sealed class StopAtFirst(CancellationTokenSource source) : IProgress<StageProgress>
    {
        public int Reports;

        public void Report(StageProgress value)
        {
            Interlocked.Increment(ref Reports);
            source.Cancel();
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    public void AStopInsideLeavesNoScratchFolderAndNoProvince(int workers)
    {
        string root = _dir.File($"stopped-{workers}");
        using var source = new CancellationTokenSource();
        var stop = new StopAtFirst(source);
        Assert.Throws<OperationCanceledException>(() => ProvincePackage.Write(root, _tasks, _region.Crs, Options(workers), stop, source.Token));
        Assert.Multiple(() =>
        {
            Assert.That(stop.Reports, Is.GreaterThanOrEqualTo(1), "stopped from the export's progress");
            Assert.That(Directory.GetFileSystemEntries(Path.Combine(root, ProvincePackage.ProvincesFolder)), Is.Empty, "no province, no scratch folder");
        });
    }
}
