using System.Globalization;
using ChangeDetection.Tasks;

namespace ChangeDetection.Tests.Export;

/// <summary>Field-by-field comparison of read-back values with the tasks.</summary>
internal static class TaskReadBack
{
    /// <summary>Asserts that <paramref name="read"/> (field name → value as the format returns it) holds every exported field of <paramref name="task"/>.</summary>
    public static void AssertFields(VerificationTask task, IReadOnlyList<TaskField> fields, Func<string, object?> read, string format)
    {
        foreach (var f in fields)
        {
            var expected = f.Export(task);
            var actual = read(f.Name);
            string what = $"{format} {task.JCBH}.{f.Name}";
            if (f.Kind == TaskFieldKind.Real)
            {
                if (expected is null)
                {
                    Assert.That(actual is null or DBNull || (actual is string s && s.Length == 0), Is.True, what);
                    continue;
                }
                Assert.That(actual, Is.Not.Null, what);
                double value = actual is string text ? double.Parse(text, CultureInfo.InvariantCulture) : Convert.ToDouble(actual, CultureInfo.InvariantCulture);
                Assert.That(value, Is.EqualTo((double)expected).Within(1e-9), what);
            }
            else if (f.Kind == TaskFieldKind.Date)
            {
                Assert.That(expected, Is.TypeOf<DateOnly>(), what);
                var day = actual switch
                {
                    DateTime dt => DateOnly.FromDateTime(dt),
                    DateOnly d => d,
                    string text => DateOnly.ParseExact(text, TaskField.DateFormat, CultureInfo.InvariantCulture),
                    var other => throw new AssertionException($"{what}: {other?.GetType().Name ?? "null"} is not a date"),
                };
                Assert.That(day, Is.EqualTo(expected), what);
            }
            else
            {
                Assert.That(Convert.ToString(actual, CultureInfo.InvariantCulture), Is.EqualTo(expected), what);
            }
        }
    }
}
