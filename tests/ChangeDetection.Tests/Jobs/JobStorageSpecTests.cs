using ChangeDetection.Jobs;
using Hangfire;
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

    [TestCase("Host=db;Username=cdx;Password='se;cr=et';Database=cdx", "postgres:Host=db;Username=cdx;Database=cdx")]
    [TestCase("Host=db;PWD=\"a;Database=x\";Database=cdx", "postgres:Host=db;Database=cdx")]
    [TestCase("host=db; password = s3cret ;database=cdx", "postgres:Host=db;Database=cdx")]
    public void A_password_is_masked_however_it_is_written(string connection, string expected)
    {
        string described = JobStorageSpec.Parse("postgres:" + connection).Describe();
        Assert.That(described, Is.EqualTo(expected));
        Assert.That(described, Does.Not.Contain("se;cr").And.Not.Contain("cr=et").And.Not.Contain("s3cret").And.Not.Contain("a;"));
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

    [Test]
    public void A_postgres_storage_that_does_not_answer_is_one_line_exit_2_within_seconds()
    {
        // A port nobody listens on: the connection is refused at once, as when the server is down.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (code, _, stderr) = ChangeDetection.Tests.Cli.CdxRunner.Cdx("jobs", "--storage", $"postgres:Host=127.0.0.1;Port={port};Database=cdx;Username=cdx;Password=secret");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), stderr);
            Assert.That(stderr, Does.Contain($"127.0.0.1:{port}").And.Contain("does not answer").And.Not.Contain("secret"));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "no minute of silent retries");
        });
    }

    [Test]
    public void A_sqlite_job_whose_worker_died_is_fetched_again_after_the_lost_job_timeout()
    {
        using var dir = new TempDir();
        var spec = JobStorageSpec.Parse("sqlite:" + dir.File("jobs.db")) with { QueuePollInterval = TimeSpan.FromMilliseconds(200), InvisibilityTimeout = TimeSpan.FromSeconds(2) };
        var storage = spec.Open();
        string id = new BackgroundJobClient(storage).Enqueue(() => Console.WriteLine("region"));
        using var dead = storage.GetConnection();
        // The worker that fetched it was killed: its fetch is never removed nor requeued.
        var lost = dead.FetchNextJob(["default"], CancellationToken.None);
        Assert.That(lost.JobId, Is.EqualTo(id));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var other = storage.GetConnection();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var again = other.FetchNextJob(["default"], wait.Token);
        Assert.Multiple(() =>
        {
            Assert.That(again.JobId, Is.EqualTo(id));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "the lost-job timeout, not the SQLite storage's 30-minute default");
        });
    }
}
