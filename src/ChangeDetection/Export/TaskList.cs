using ChangeDetection.Tasks;

namespace ChangeDetection.Export;

/// <summary>Checks shared by the task writers.</summary>
internal static class TaskList
{
    /// <summary>The tasks sorted by JCBH, after checking that every task has a unique JCBH (assign them with <see cref="TaskNumbering"/> first).</summary>
    public static IReadOnlyList<VerificationTask> Ordered(IEnumerable<VerificationTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var list = tasks.OrderBy(t => t.JCBH, StringComparer.Ordinal).ToList();
        if (list.Any(t => string.IsNullOrEmpty(t.JCBH)))
            throw new ArgumentException("Every task needs a monitoring ID (JCBH); assign them with TaskNumbering.Assign first.", nameof(tasks));
        for (int i = 1; i < list.Count; i++)
            if (string.Equals(list[i].JCBH, list[i - 1].JCBH, StringComparison.Ordinal))
                throw new ArgumentException($"Monitoring ID {list[i].JCBH} is used twice.", nameof(tasks));
        return list;
    }
}
