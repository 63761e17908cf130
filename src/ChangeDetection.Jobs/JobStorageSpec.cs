using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Npgsql;

namespace ChangeDetection.Jobs;

/// <summary>The kind of Hangfire storage.</summary>
public enum JobStorageKind
{
    /// <summary>One SQLite file: one machine (the default).</summary>
    Sqlite,
    /// <summary>A PostgreSQL database: many workers on many machines.</summary>
    Postgres,
}

/// <summary>
/// Where the job queue lives, parsed from a <c>--storage</c> string: <c>sqlite:PATH</c> (the
/// default, one machine) or <c>postgres:CONNECTION</c> (e.g. <c>postgres:Host=db;Database=cdx;Username=cdx</c>),
/// for several <c>cdx worker</c> processes on several machines.
/// </summary>
public sealed record JobStorageSpec(JobStorageKind Kind, string Target)
{
    /// <summary>The storage used when none is given: a SQLite file in the current folder.</summary>
    public const string Default = "sqlite:cdx-jobs.db";

    /// <summary>How often an idle worker looks for new jobs. SQLite storage defaults to 15 s; tests use less.</summary>
    public TimeSpan QueuePollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a job fetched by a worker that died (kill -9, lost machine) stays invisible before another
    /// worker takes it. On PostgreSQL live workers keep extending it (sliding), so long region runs are not
    /// taken twice. The SQLite storage has no such heartbeat: a region run longer than this may be fetched
    /// again by another worker on the same storage, which then finds the output folder's region lock held
    /// and ends as skipped, while the first run goes on.
    /// </summary>
    public TimeSpan InvisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <exception cref="ChangeDetectionException">The string is empty, has an unknown scheme or no target.</exception>
    public static JobStorageSpec Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) text = Default;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
            throw new ChangeDetectionException($"--storage '{text}': expected sqlite:PATH or postgres:CONNECTION (e.g. sqlite:jobs.db, postgres:Host=127.0.0.1;Database=cdx;Username=cdx).");
        string scheme = text[..colon].Trim().ToLowerInvariant();
        string target = text[(colon + 1)..].Trim();
        var kind = scheme switch
        {
            "sqlite" => JobStorageKind.Sqlite,
            "postgres" or "postgresql" => JobStorageKind.Postgres,
            _ => throw new ChangeDetectionException($"--storage '{text}': unknown storage '{scheme}' (use sqlite:PATH or postgres:CONNECTION)."),
        };
        if (target.Length == 0)
            throw new ChangeDetectionException(kind == JobStorageKind.Sqlite
                ? $"--storage '{text}': no database file after 'sqlite:' (e.g. sqlite:cdx-jobs.db)."
                : $"--storage '{text}': no connection string after 'postgres:' (e.g. postgres:Host=127.0.0.1;Database=cdx;Username=cdx).");
        if (kind == JobStorageKind.Postgres && !target.Contains('=', StringComparison.Ordinal))
            throw new ChangeDetectionException($"--storage '{text}': '{target}' is not a PostgreSQL connection string (Key=Value;… e.g. Host=127.0.0.1;Database=cdx;Username=cdx).");
        return new JobStorageSpec(kind, kind == JobStorageKind.Sqlite ? Path.GetFullPath(target) : target);
    }

    /// <summary>Opens the storage (creating the SQLite file and its folder, or the PostgreSQL schema, if missing).</summary>
    /// <exception cref="ChangeDetectionException">The storage cannot be opened.</exception>
    public JobStorage Open()
    {
        try
        {
            switch (Kind)
            {
                case JobStorageKind.Sqlite:
                    Directory.CreateDirectory(Path.GetDirectoryName(Target)!);
                    return new SQLiteStorage(Target, new SQLiteStorageOptions { QueuePollInterval = QueuePollInterval, InvisibilityTimeout = InvisibilityTimeout });
                default:
                    ProbePostgres();
                    var options = new PostgreSqlStorageOptions
                    {
                        QueuePollInterval = QueuePollInterval, PrepareSchemaIfNecessary = true,
                        UseSlidingInvisibilityTimeout = true, InvisibilityTimeout = InvisibilityTimeout,
                    };
                    return new PostgreSqlStorage(new NpgsqlConnectionFactory(Target, options), options);
            }
        }
        catch (Exception e) when (e is not ChangeDetectionException and not OutOfMemoryException)
        {
            throw new ChangeDetectionException($"--storage {Describe()}: cannot open the job storage ({e.GetType().Name}: {e.Message}).", e);
        }
    }

    /// <summary>How long to wait for PostgreSQL to answer before saying so (the connection string's own Timeout when shorter).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// One connection before Hangfire's: Hangfire.PostgreSql retries a server that does not answer for
    /// about a minute, silently, and then fails with a raw Npgsql error.
    /// </summary>
    private void ProbePostgres()
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(Target);
        }
        catch (ArgumentException e)
        {
            throw new ChangeDetectionException($"--storage {Describe()}: not a valid PostgreSQL connection string ({e.Message}).", e);
        }
        int seconds = Math.Max(1, (int)Math.Ceiling(ConnectTimeout.TotalSeconds));
        builder.Timeout = builder.Timeout > 0 ? Math.Min(builder.Timeout, seconds) : seconds;
        try
        {
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            string server = $"{builder.Host ?? "localhost"}:{builder.Port}";
            string why = (e.InnerException is { } inner && inner.Message != e.Message ? $"{e.Message}: {inner.Message}" : e.Message).ReplaceLineEndings(" ");
            throw new ChangeDetectionException($"--storage {Describe()}: PostgreSQL at {server} does not answer or refuses the connection ({why}); check that the server runs and that the host, port, database and credentials are right, then try again.", e);
        }
    }

    /// <summary>The storage for messages: the SQLite path, or the PostgreSQL connection without its password.</summary>
    public string Describe()
    {
        if (Kind == JobStorageKind.Sqlite) return "sqlite:" + Target;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(Target);
        }
        catch (ArgumentException)
        {
            // Not a connection string Npgsql can read, so no password can be told apart from the
            // rest: say nothing of it rather than risk printing one.
            return "postgres:(unreadable connection string)";
        }
        // Npgsql's own parser: quoted values may hold ';', and Password/PWD are the same key.
        builder.Password = null;
        return "postgres:" + builder.ConnectionString;
    }
}
