using System.Globalization;
using SixLabors.ImageSharp.PixelFormats;

namespace ChangeDetection.Export;

/// <summary>
/// A scale bar: a round length in metres (1, 2 or 5 × 10ⁿ m) and its length in PNG pixels.
/// </summary>
/// <param name="Metres">The length the bar stands for, in metres.</param>
/// <param name="Pixels">The bar's length on the chip, in PNG pixels.</param>
internal readonly record struct ScaleBar(double Metres, int Pixels)
{
    /// <summary>The bar's caption: <c>50 m</c>, or <c>2 km</c> from 1 000 m.</summary>
    public string Text => Metres >= 1000
        ? string.Create(CultureInfo.InvariantCulture, $"{Metres / 1000:0.###} km")
        : string.Create(CultureInfo.InvariantCulture, $"{Metres:0.###} m");

    /// <summary>
    /// The longest round length that fits in a quarter of <paramref name="widthPixels"/>, or null when not
    /// even 1 m fits (or the pixel size is unknown).
    /// </summary>
    /// <param name="metresPerPixel">Ground size of one PNG pixel, in metres.</param>
    /// <param name="widthPixels">The chip's width in PNG pixels.</param>
    public static ScaleBar? Choose(double metresPerPixel, int widthPixels)
    {
        if (!(metresPerPixel > 0) || double.IsInfinity(metresPerPixel)) return null;
        double span = widthPixels / 4.0 * metresPerPixel;
        if (span < 1) return null;
        double decade = Math.Pow(10, Math.Floor(Math.Log10(span)));
        double metres = decade;
        foreach (double f in new[] { 2.0, 5.0 }) if (f * decade <= span) metres = f * decade;
        return new ScaleBar(metres, (int)Math.Round(metres / metresPerPixel));
    }
}

/// <summary>
/// Draws a chip's label (JCBH, date) at the top left and its scale bar at the bottom left, white on black,
/// with a 5×7 bitmap font built into the code: servers often lack a CJK-capable (or any) font, and the
/// label is ASCII only, so no font file or native drawing library is needed.
/// </summary>
internal static class ChipLabel
{
    private static readonly Rgb24 Ink = new(255, 255, 255);
    private static readonly Rgb24 Paper = new(0, 0, 0);

    /// <summary>Glyph cell in font pixels: 5 wide and 7 high, plus one column and two rows of spacing.</summary>
    internal const int GlyphWidth = 5, GlyphHeight = 7, Advance = 6, LineHeight = 9, Padding = 2;

    /// <summary>The glyph scale (PNG pixels per font pixel): 2 on chips 512 px wide or more, else 1, so the label covers little of the image.</summary>
    public static int ScaleFor(int width) => width >= 512 ? 2 : 1;

    /// <summary>Draws <paramref name="lines"/> at the top left and <paramref name="bar"/> (if any) at the bottom left, clipped to the canvas.</summary>
    public static void Draw(Rgb24[] pixels, int width, int height, IReadOnlyList<string> lines, ScaleBar? bar)
    {
        int s = ScaleFor(width);
        int textWidth = lines.Count == 0 ? 0 : lines.Max(l => l.Length) * Advance - 1;
        Fill(pixels, width, height, 0, 0, (textWidth + 2 * Padding) * s, (lines.Count * LineHeight - 2 + 2 * Padding) * s, Paper);
        for (int i = 0; i < lines.Count; i++)
            Text(pixels, width, height, Padding * s, (Padding + i * LineHeight) * s, lines[i], s);
        if (bar is not ScaleBar b) return;
        var (x, y, barY, boxW, boxH) = BarLayout(b, height, s);
        Fill(pixels, width, height, 0, y, boxW, boxH, Paper);
        Text(pixels, width, height, x, y + Padding * s, b.Text, s);
        Fill(pixels, width, height, x, barY, b.Pixels, 2 * s, Ink);
    }

    /// <summary>
    /// Where the scale bar goes: its left edge, the top of its black box, the top row of the bar itself
    /// (2 × scale rows thick), and the box's size; all in PNG pixels.
    /// </summary>
    internal static (int X, int BoxY, int BarY, int BoxWidth, int BoxHeight) BarLayout(ScaleBar bar, int height, int s)
    {
        int boxW = Math.Max(bar.Pixels + 2 * Padding * s, (bar.Text.Length * Advance - 1 + 2 * Padding) * s);
        int boxH = (Padding + GlyphHeight + 2 + 2 + Padding) * s;
        int y = height - boxH;
        return (Padding * s, y, y + (Padding + GlyphHeight + 2) * s, boxW, boxH);
    }

    /// <summary>The font pixels of <paramref name="text"/> (unknown characters blank), as rows of GlyphHeight × (Advance × length − 1).</summary>
    internal static bool[,] Render(string text)
    {
        var mask = new bool[GlyphHeight, Math.Max(text.Length * Advance - 1, 0)];
        for (int i = 0; i < text.Length; i++)
        {
            if (!Font.TryGetValue(text[i], out var rows)) continue;
            for (int r = 0; r < GlyphHeight; r++)
                for (int c = 0; c < GlyphWidth; c++)
                    if (rows[r][c] == '#') mask[r, i * Advance + c] = true;
        }
        return mask;
    }

    private static void Text(Rgb24[] pixels, int width, int height, int x0, int y0, string text, int s)
    {
        var mask = Render(text);
        for (int r = 0; r < mask.GetLength(0); r++)
            for (int c = 0; c < mask.GetLength(1); c++)
                if (mask[r, c]) Fill(pixels, width, height, x0 + c * s, y0 + r * s, s, s, Ink);
    }

    private static void Fill(Rgb24[] pixels, int width, int height, int x0, int y0, int w, int h, Rgb24 colour)
    {
        int x1 = Math.Min(x0 + w, width), y1 = Math.Min(y0 + h, height);
        for (int y = Math.Max(y0, 0); y < y1; y++)
            for (int x = Math.Max(x0, 0); x < x1; x++)
                pixels[y * width + x] = colour;
    }

    /// <summary>5×7 glyphs: digits, capitals, and the few signs a label needs ('-', ':', '.', '/', 'm', 'k', space).</summary>
    private static readonly Dictionary<char, string[]> Font = new()
    {
        ['0'] = [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
        ['1'] = ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
        ['2'] = [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
        ['3'] = ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
        ['4'] = ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
        ['5'] = ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
        ['6'] = ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
        ['7'] = ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
        ['8'] = [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
        ['9'] = [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
        ['A'] = [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
        ['B'] = ["####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."],
        ['C'] = [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
        ['D'] = ["###..", "#..#.", "#...#", "#...#", "#...#", "#..#.", "###.."],
        ['E'] = ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
        ['F'] = ["#####", "#....", "#....", "####.", "#....", "#....", "#...."],
        ['G'] = [".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"],
        ['H'] = ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
        ['I'] = [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
        ['J'] = ["..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."],
        ['K'] = ["#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"],
        ['L'] = ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
        ['M'] = ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
        ['N'] = ["#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"],
        ['O'] = [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
        ['P'] = ["####.", "#...#", "#...#", "####.", "#....", "#....", "#...."],
        ['Q'] = [".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"],
        ['R'] = ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
        ['S'] = [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
        ['T'] = ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
        ['U'] = ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
        ['V'] = ["#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
        ['W'] = ["#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."],
        ['X'] = ["#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"],
        ['Y'] = ["#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."],
        ['Z'] = ["#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"],
        ['-'] = [".....", ".....", ".....", "#####", ".....", ".....", "....."],
        [':'] = [".....", "..#..", "..#..", ".....", "..#..", "..#..", "....."],
        ['.'] = [".....", ".....", ".....", ".....", ".....", ".##..", ".##.."],
        ['/'] = [".....", "....#", "...#.", "..#..", ".#...", "#....", "....."],
        ['m'] = [".....", ".....", "##.#.", "#.#.#", "#.#.#", "#...#", "#...#"],
        ['k'] = ["#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#."],
        [' '] = [".....", ".....", ".....", ".....", ".....", ".....", "....."],
    };
}
