/// Buildspec text for tests, from the parts a test is about: the keys around them (`version`,
/// `env:`, `phases:`) are written here once.
public enum BuildspecText {
    /// A buildspec of `version`, with `env` (the body of its `env:` mapping) if given, then
    /// `phases` (the body of its `phases:` mapping, written from column 0), then `after`
    /// (top-level keys such as `artifacts:`). `version` is line 1, `env:` line 2.
    public static func make(phases: String, env: String? = nil, version: String = "0.2", after: String? = nil) -> String {
        "version: \(version)\n" + (env.map { "env:\n" + indented($0) } ?? "") + "phases:\n" + indented(phases)
            + (after.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" } ?? "")
    }

    /// A buildspec whose install phase asks for `runtimes` (`name: version` each, from line 5
    /// on) and whose build phase runs `commands`, then `after`.
    public static func runtimes(_ runtimes: [String], build commands: [String], after: String? = nil) -> String {
        make(phases: "install:\n  runtime-versions:\n" + runtimes.map { "    \($0)\n" }.joined()
                + "build:\n  commands:\n" + commands.map { "    - \($0)\n" }.joined(),
             after: after)
    }

    private static func indented(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (text.hasSuffix("\n") ? lines.dropLast() : lines[...]).map { "  " + $0 + "\n" }.joined()
    }
}
