// Fixtures run two at a time: most tests are single-threaded for long stretches (process start-up,
// GeoTIFF encoding, SQLite, ML.NET set-up), so two of them fill the two cores CI has. A fixture that
// depends on process-wide state or on wall-clock waits opts out with [NonParallelizable].
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(2)]
