using System.CommandLine;
using System.CommandLine.Help;
using System.Text.RegularExpressions;
using ChangeDetection.Cli;

namespace ChangeDetection.Tests.Cli;

/// <summary>
/// The README's command table stays in step with the commands: every option that a command's <c>--help</c>
/// lists appears in that command's row of the table.
/// </summary>
[TestFixture]
public sealed class ReadmeOptionsTests
{
    private static string Readme() => File.ReadAllText(Repository.File("README.md"));

    private static IEnumerable<TestCaseData> Commands() =>
        CdxApp.BuildRoot(TextWriter.Null, TextWriter.Null).Subcommands.Select(c => new TestCaseData(c.Name).SetName($"Readme_row_lists_every_option_of_{c.Name}"));

    [TestCaseSource(nameof(Commands))]
    public void Readme_row_lists_every_option(string name)
    {
        var command = CdxApp.BuildRoot(TextWriter.Null, TextWriter.Null).Subcommands.Single(c => c.Name == name);
        string? row = Readme().Split('\n').FirstOrDefault(l => l.StartsWith($"| `cdx {name} ", StringComparison.Ordinal) || l.StartsWith($"| `cdx {name}`", StringComparison.Ordinal));
        Assert.That(row, Is.Not.Null, $"README.md has no row for cdx {name} in its command table");
        var options = command.Options.Where(o => o is not HelpOption).SelectMany(o => o.Aliases.Append(o.Name)).Distinct().ToList();
        var missing = options.Where(o => !Regex.IsMatch(row!, $@"(?<![\w-]){Regex.Escape(o)}(?![\w-])")).ToList();
        Assert.That(missing, Is.Empty, $"cdx {name} --help lists options its README row does not mention");
    }

    [Test]
    public void Every_command_has_options_to_check()
    {
        // Guards the test above against passing vacuously (e.g. if option lookup stopped finding anything).
        var root = CdxApp.BuildRoot(TextWriter.Null, TextWriter.Null);
        Assert.That(root.Subcommands.Sum(c => c.Options.Count(o => o is not HelpOption)), Is.GreaterThan(root.Subcommands.Count));
    }
}
