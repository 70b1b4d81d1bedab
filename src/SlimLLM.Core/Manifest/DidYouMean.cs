namespace SlimLLM.Manifest;

/// <summary>Suggests the closest valid word for a misspelt key or value.</summary>
internal static class DidYouMean
{
    public static string? Suggest(string word, IEnumerable<string> candidates)
    {
        var lower = word.ToLowerInvariant();
        var list = candidates.ToList();
        // A clipped word ("slim" for "slimllm") is a typo too, however many letters are missing.
        if (lower.Length >= 3 && list.Where(c => c.StartsWith(lower, StringComparison.OrdinalIgnoreCase)).ToList() is [var only])
            return only;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in list)
        {
            int d = Distance(lower, c.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        // Close enough to be a typo: up to 2 edits, or a third of the word's length for long words.
        return best is not null && bestDistance <= Math.Max(2, word.Length / 3) && bestDistance < Math.Max(word.Length, best.Length) ? best : null;
    }

    /// <summary>Levenshtein distance with adjacent transpositions counted as one edit (optimal string alignment).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        for (int j = 1; j <= b.Length; j++)
        {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }
}
