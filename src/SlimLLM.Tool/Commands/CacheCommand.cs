using System.CommandLine;
using System.Globalization;
using SlimLLM.Caching;
using SlimLLM.Errors;
using SlimLLM.Tool.Cli;

namespace SlimLLM.Tool.Commands;

public static class CacheCommand
{
    public static Command Create()
    {
        var dir = new Option<string?>("--cache-dir") { Description = "Cache folder (default: SLIMLLM_CACHE, else the user cache folder)." };
        var json = CommonOptions.Json();
        var ls = new Command("ls", "List cache entries by kind with their sizes.") { dir, json };
        ls.SetAction(r =>
        {
            var root = StatisticsCache.ResolveRoot(r.GetValue(dir));
            var entries = CacheMaintenance.Entries(root);
            var byKind = entries.GroupBy(e => e.Kind).OrderBy(g => g.Key)
                .Select(g => new { kind = g.Key, entries = g.Count(), bytes = g.Sum(e => e.Bytes) }).ToList();
            if (r.GetValue(json)) Cli.Json.Print(new { root, entries = entries.Count, bytes = entries.Sum(e => e.Bytes), kinds = byKind });
            else
            {
                Console.Out.WriteLine($"cache {root}: {entries.Count} entries, {CacheMaintenance.Format(entries.Sum(e => e.Bytes))}");
                foreach (var k in byKind) Console.Out.WriteLine($"  {k.kind,-14} {k.entries,6} entries  {CacheMaintenance.Format(k.bytes)}");
            }
            return ExitCodes.Success;
        });
        var clear = new Command("clear", "Delete every cache entry.") { dir };
        clear.SetAction(r =>
        {
            var root = StatisticsCache.ResolveRoot(r.GetValue(dir));
            var removed = CacheMaintenance.Prune(root, 0);
            Console.Out.WriteLine($"removed {removed.Count} entries ({CacheMaintenance.Format(removed.Sum(e => e.Bytes))}) from {root}");
            return ExitCodes.Success;
        });
        var maxSize = new Option<string>("--max-size") { Description = "Keep the most recently used entries up to this size (e.g. 500MB, 10GB).", DefaultValueFactory = _ => "10GB" };
        var prune = new Command("prune", "Delete the least recently used entries until the cache fits --max-size.") { dir, maxSize };
        prune.SetAction(r =>
        {
            var root = StatisticsCache.ResolveRoot(r.GetValue(dir));
            var limit = CacheMaintenance.ParseSize(r.GetValue(maxSize)!);
            var removed = CacheMaintenance.Prune(root, limit);
            Console.Out.WriteLine($"removed {removed.Count} entries ({CacheMaintenance.Format(removed.Sum(e => e.Bytes))}); {root} now holds {CacheMaintenance.Format(CacheMaintenance.Entries(root).Sum(e => e.Bytes))}");
            return ExitCodes.Success;
        });
        return new Command("cache", "Inspect and bound the importance-statistics cache.") { ls, clear, prune };
    }
}
