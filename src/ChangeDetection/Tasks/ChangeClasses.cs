namespace ChangeDetection.Tasks;

/// <summary>A change class (变化类型): the code written to <c>BHLX</c> and the Chinese name written to <c>BHLXMC</c>.</summary>
public sealed record ChangeClass(string Code, string ChineseName);

/// <summary>
/// The change classes a verification task can carry. This is the one list: exports, the data
/// dictionary and the classifier's labels all read it from here.
/// </summary>
public static class ChangeClasses
{
    public static ChangeClass Construction { get; } = new("construction", "建(构)筑物");
    public static ChangeClass Earthwork { get; } = new("earthwork", "推填土");
    public static ChangeClass Pond { get; } = new("pond", "坑塘/挖湖");
    public static ChangeClass Road { get; } = new("road", "新增线形地物");
    public static ChangeClass Solar { get; } = new("solar", "光伏用地");
    public static ChangeClass Vegetation { get; } = new("vegetation", "植被变化");
    public static ChangeClass Pseudo { get; } = new("pseudo", "伪变化");
    public static ChangeClass Unclassified { get; } = new("unclassified", "未分类");

    /// <summary>Every class, in a fixed order.</summary>
    public static IReadOnlyList<ChangeClass> All { get; } =
        [Construction, Earthwork, Pond, Road, Solar, Vegetation, Pseudo, Unclassified];

    /// <summary>The class with this code (case-sensitive, as written in <c>BHLX</c>).</summary>
    /// <exception cref="ArgumentException">Unknown code.</exception>
    public static ChangeClass FromCode(string code) =>
        All.FirstOrDefault(c => string.Equals(c.Code, code, StringComparison.Ordinal))
        ?? throw new ArgumentException($"Unknown change class '{code}'; known: {string.Join(", ", All.Select(c => c.Code))}.", nameof(code));
}
