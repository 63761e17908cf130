using System.Collections.Concurrent;

namespace ChangeDetection;

/// <summary>
/// A parallel loop over items of very unequal cost (patches from a few pixels to a whole field system): the items
/// are started in order of decreasing cost, one at a time per worker, so a huge item is not left for the end while the
/// other workers idle. Each item's result goes to its own index, so results never depend on the order of work.
/// </summary>
internal static class LargestFirst
{
    /// <summary>Runs <paramref name="body"/> for 0 … <paramref name="count"/> − 1 on <paramref name="workers"/> threads, costliest first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: no item starts after it, those in flight finish.</exception>
    public static void For(int count, Func<int, long> cost, int workers, Action<int> body, CancellationToken cancellationToken = default)
    {
        var costs = new long[count];
        var order = new int[count];
        for (int i = 0; i < count; i++)
        {
            costs[i] = cost(i);
            order[i] = i;
        }
        // Costliest first, ties in index order, so the schedule itself repeats.
        Array.Sort(order, (a, b) => costs[a] != costs[b] ? costs[b].CompareTo(costs[a]) : a.CompareTo(b));
        var partitioner = Partitioner.Create(order, EnumerablePartitionerOptions.NoBuffering);
        Parallel.ForEach(partitioner, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = cancellationToken }, body);
    }
}
