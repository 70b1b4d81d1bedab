using System.Text;

namespace SlimLLM.DevTools.Bench;

/// <summary>A column of a benchmark table: its header, whether it is left-aligned, and the cell of a row.</summary>
public sealed record TableColumn<T>(string Header, bool Left, Func<T, string> Value);

/// <summary>Rows as one aligned text table (two spaces between columns) or as a Markdown table with right-aligned numbers.</summary>
public static class TextTable
{
    public static string Format<T>(IReadOnlyList<TableColumn<T>> columns, IEnumerable<T> rows, bool markdown)
    {
        var cells = rows.Select(r => columns.Select(c => c.Value(r)).ToArray()).ToList();
        var sb = new StringBuilder();
        if (markdown)
        {
            sb.Append("| ").AppendJoin(" | ", columns.Select(c => c.Header)).Append(" |\n");
            sb.Append('|').AppendJoin("|", columns.Select(c => c.Left ? "---" : "---:")).Append("|\n");
            foreach (var row in cells) sb.Append("| ").AppendJoin(" | ", row).Append(" |\n");
            return sb.ToString();
        }
        var widths = columns.Select((c, i) => cells.Select(r => r[i].Length).Append(c.Header.Length).Max()).ToArray();
        string Line(IEnumerable<string> values) =>
            string.Join("  ", values.Select((v, i) => columns[i].Left ? v.PadRight(widths[i]) : v.PadLeft(widths[i]))).TrimEnd() + "\n";
        sb.Append(Line(columns.Select(c => c.Header)));
        sb.Append(Line(widths.Select(w => new string('-', w))));
        foreach (var row in cells) sb.Append(Line(row));
        return sb.ToString();
    }
}
