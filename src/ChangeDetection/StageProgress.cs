namespace ChangeDetection;

/// <summary>
/// Progress of a long stage: <see cref="Done"/> of <see cref="Total"/> units (tiles, windows)
/// of the stage named <see cref="Stage"/>. Hosts render it (a bar in a terminal, plain lines in logs).
/// </summary>
public readonly record struct StageProgress(string Stage, long Done, long Total);
