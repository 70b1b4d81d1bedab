namespace SlimLLM.Tool.Commands;

/// <summary>
/// What `slimllm doctor` prints when libstdc++ lacks GLIBCXX_3.4.32: on Debian and its derivatives, the commands that
/// build/setup.sh runs (and the test suite's machines run with it): Debian trixie added at pin priority 100, so nothing
/// else is upgraded from it, and trixie's libstdc++6 installed.
/// </summary>
public static class LibstdcxxFix
{
    public static readonly string[] DebianCommands =
    [
        @"printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' | sudo tee /etc/apt/sources.list.d/slimllm-trixie.sources",
        @"printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' | sudo tee /etc/apt/preferences.d/slimllm-trixie",
        "sudo apt-get update",
        "sudo apt-get install -y -t trixie libstdc++6",
    ];

    /// <summary>The fix; <paramref name="debian"/>: /etc/debian_version exists (the commands are printed one a line).</summary>
    public static string Text(bool debian) => debian
        ? "install libstdc++6 from Debian trixie (GCC 14) beside this system's packages, pinned so that nothing else is upgraded from it:\n" +
          string.Join("\n", DebianCommands)
        : "Install libstdc++ from GCC 13 or newer with this system's package manager (Ubuntu 24.04, Fedora 39 and newer have it).";

    public static string ForThisMachine() => Text(File.Exists("/etc/debian_version"));
}
