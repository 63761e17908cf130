using ChangeDetection.Detection;
using Microsoft.Data.Sqlite;

namespace ChangeDetection.Pipeline;

/// <summary>
/// The run ledger: a SQLite database in the output folder that records what its raster work
/// depends on (a fingerprint of the images, bands and detection parameters) and every finished unit
/// of that work (a stage's result for one tile). A killed run resumes from it: finished tiles are read back, not
/// recomputed. Each record is one SQLite transaction, so a crash loses at most the tiles in
/// flight, never half a record. It is the <see cref="ITileStore"/> of <c>cdx run</c> and of the fan-out's workers
/// (<see cref="TilePasses"/>), which may be other processes on other machines sharing the output folder.
/// </summary>
internal sealed class RunLedger : ITileStore, IDisposable
{
    public const string FileName = "ledger.db";

    private readonly SqliteConnection _db;
    private readonly object _gate = new();

    private RunLedger(SqliteConnection db, string path, bool resumed)
    {
        _db = db;
        Path = path;
        Resumed = resumed;
    }

    public string Path { get; }

    /// <summary>True when the ledger already held work of the same run (a resume).</summary>
    public bool Resumed { get; }

    /// <summary>
    /// Opens (or creates) the ledger of <paramref name="folder"/> for a run with
    /// <paramref name="fingerprint"/>. A ledger written by a different run is refused unless
    /// <paramref name="force"/>, which discards it and starts over.
    /// </summary>
    public static RunLedger Open(string folder, string fingerprint, bool force) => Open(folder, fingerprint, force, restartIfChanged: false);

    /// <summary>As <see cref="Open(string, string, bool)"/>; with <paramref name="restartIfChanged"/> a ledger of another run is discarded instead of refused.</summary>
    public static RunLedger Open(string folder, string fingerprint, bool force, bool restartIfChanged)
    {
        Directory.CreateDirectory(folder);
        string path = System.IO.Path.Combine(folder, FileName);
        if (force) Delete(path);
        if (restartIfChanged && File.Exists(path))
        {
            using (var probe = Connect(path))
            {
                bool stale;
                try { stale = Scalar(probe, "SELECT value FROM meta WHERE key='fingerprint'") != fingerprint; }
                catch (SqliteException) { stale = true; }
                if (!stale) return Open(folder, fingerprint, force: false, restartIfChanged: false);
            }
            SqliteConnection.ClearAllPools();
            Delete(path);
        }
        var db = Connect(path);
        try
        {
            Execute(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" +
                        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);" +
                        "CREATE TABLE IF NOT EXISTS results(stage TEXT NOT NULL, tile INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(stage, tile));");
            string? existing = Scalar(db, "SELECT value FROM meta WHERE key='fingerprint'");
            if (existing is null)
            {
                Write(db, "INSERT INTO meta(key, value) VALUES('fingerprint', $v)", fingerprint);
                return new RunLedger(db, path, resumed: false);
            }
            if (existing != fingerprint)
                throw new ChangeDetectionException($"{path}: this output folder holds a run on other imagery or detection settings (an image, the bands, a detection setting or the tile size changed since). Run again with --force to start over, or choose another output folder.");
            return new RunLedger(db, path, resumed: true);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    private static SqliteConnection Connect(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            db.Open();
            return db;
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new ChangeDetectionException($"{path}: the run ledger cannot be opened ({e.Message}). Delete it or run with --force.");
        }
    }

    private static void Delete(string path)
    {
        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
            if (File.Exists(f)) File.Delete(f);
    }

    /// <summary>The stored result of <paramref name="stage"/> for <paramref name="tile"/>, or null.</summary>
    public byte[]? Get(string stage, int tile)
    {
        lock (_gate)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT data FROM results WHERE stage=$s AND tile=$t";
            cmd.Parameters.AddWithValue("$s", stage);
            cmd.Parameters.AddWithValue("$t", tile);
            return cmd.ExecuteScalar() as byte[];
        }
    }

    /// <summary>Tiles of <paramref name="stage"/> already finished.</summary>
    public IReadOnlySet<int> Finished(string stage)
    {
        lock (_gate)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT tile FROM results WHERE stage=$s";
            cmd.Parameters.AddWithValue("$s", stage);
            var set = new HashSet<int>();
            using var r = cmd.ExecuteReader();
            while (r.Read()) set.Add(r.GetInt32(0));
            return set;
        }
    }

    /// <summary>Records the result of <paramref name="stage"/> for <paramref name="tile"/> (durable when this returns).</summary>
    public void Put(string stage, int tile, byte[] data)
    {
        lock (_gate)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "INSERT OR REPLACE INTO results(stage, tile, data) VALUES($s, $t, $d)";
            cmd.Parameters.AddWithValue("$s", stage);
            cmd.Parameters.AddWithValue("$t", tile);
            cmd.Parameters.AddWithValue("$d", data);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The run value of <paramref name="key"/> (the model, the threshold, a claim), or null.</summary>
    public string? GetValue(string key)
    {
        lock (_gate) return Scalar(_db, "SELECT value FROM meta WHERE key=$v", key);
    }

    /// <summary>
    /// Records <paramref name="value"/> under <paramref name="key"/> unless a value is recorded already, across processes,
    /// and returns the recorded one: the first writer decides for every reader.
    /// </summary>
    public string GetOrAddValue(string key, string value)
    {
        lock (_gate)
        {
            using (var insert = _db.CreateCommand())
            {
                insert.CommandText = "INSERT OR IGNORE INTO meta(key, value) VALUES($k, $v)";
                insert.Parameters.AddWithValue("$k", key);
                insert.Parameters.AddWithValue("$v", value);
                insert.ExecuteNonQuery();
            }
            using var read = _db.CreateCommand();
            read.CommandText = "SELECT value FROM meta WHERE key=$k";
            read.Parameters.AddWithValue("$k", key);
            return (string)read.ExecuteScalar()!;
        }
    }

    /// <summary>
    /// Claims <paramref name="key"/> for <paramref name="claimant"/> once per ledger, across processes:
    /// true for the first claimant and for that same claimant again (a retry), false for any other.
    /// </summary>
    public bool Claim(string key, string claimant) => GetOrAddValue("claim:" + key, claimant) == claimant;

    private static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static void Write(SqliteConnection db, string sql, string value)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    private static string? Scalar(SqliteConnection db, string sql, string? value = null)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        if (value is not null) cmd.Parameters.AddWithValue("$v", value);
        return cmd.ExecuteScalar() as string;
    }

    public void Dispose()
    {
        lock (_gate) _db.Dispose();
    }
}
