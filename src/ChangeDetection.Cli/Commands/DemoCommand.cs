using System.CommandLine;

namespace ChangeDetection.Cli.Commands;

/// <summary><c>cdx demo</c>: the README's main job. Until the region run lands, it states its plan.</summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var cmd = new Command("demo", "Generate a sample region and run the whole pipeline on it with embedded SQLite.");
        cmd.SetAction(_ => CdxApp.Guard(stderr, () =>
        {
            stdout.WriteLine("cdx demo will: generate a deterministic sample region (4-band GF-2-like GeoTIFFs, red-line layers,");
            stdout.WriteLine("county boundaries), detect changes, trace monitoring patches (图斑), overlay red lines and export");
            stdout.WriteLine("verification tasks per province. Available today: 'cdx info FILE' (GeoTIFF inspection).");
            return CdxApp.Ok;
        }));
        return cmd;
    }
}
