using ChangeDetection.Jobs;
using Hangfire.Storage;

namespace ChangeDetection.Tests.Jobs;

public sealed class JobStorageSpecTests
{
    [Test]
    public void Sqlite_paths_become_absolute()
    {
        var s = JobStorageSpec.Parse("sqlite:jobs/cdx.db");
        Assert.That((s.Kind, s.Target), Is.EqualTo((JobStorageKind.Sqlite, Path.GetFullPath("jobs/cdx.db"))));
    }

    [Test]
    public void The_default_is_a_sqlite_file_in_the_current_folder()
    {
        Assert.That(JobStorageSpec.Parse(null), Is.EqualTo(JobStorageSpec.Parse("sqlite:cdx-jobs.db")));
        Assert.That(JobStorageSpec.Parse(" ").Kind, Is.EqualTo(JobStorageKind.Sqlite));
    }

    [Test]
    public void Postgres_keeps_the_connection_string_and_hides_the_password()
    {
        var s = JobStorageSpec.Parse("postgres:Host=127.0.0.1;Port=5433;Database=cdx;Username=cdx;Password=secret");
        Assert.Multiple(() =>
        {
            Assert.That(s.Kind, Is.EqualTo(JobStorageKind.Postgres));
            Assert.That(s.Target, Is.EqualTo("Host=127.0.0.1;Port=5433;Database=cdx;Username=cdx;Password=secret"));
            Assert.That(s.Describe(), Is.EqualTo("postgres:Host=127.0.0.1;Port=5433;Database=cdx;Username=cdx"));
        });
    }

    [TestCase("jobs.db", "expected sqlite:PATH or postgres:CONNECTION")]
    [TestCase("redis:localhost", "unknown storage 'redis'")]
    [TestCase("sqlite:", "no database file after 'sqlite:'")]
    [TestCase("postgres:  ", "no connection string after 'postgres:'")]
    [TestCase("postgres:localhost", "is not a PostgreSQL connection string")]
    public void Bad_storage_strings_are_clear_errors(string text, string expected)
    {
        var e = Assert.Throws<ChangeDetectionException>(() => JobStorageSpec.Parse(text));
        Assert.That(e!.Message, Does.StartWith("--storage").And.Contain(expected));
    }

    [Test]
    public void Sqlite_storage_opens_and_creates_its_folder()
    {
        using var dir = new TempDir();
        var storage = JobStorageSpec.Parse("sqlite:" + dir.File("a/b/jobs.db")).Open();
        using (var c = storage.GetConnection()) Assert.That(c.GetRecurringJobs(), Is.Empty);
        Assert.That(File.Exists(dir.File("a/b/jobs.db")), Is.True);
    }
}
