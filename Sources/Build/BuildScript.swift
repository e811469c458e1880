import Foundation
import Specs

/// Compiles a buildspec into the shell scripts that run it inside the sandbox: a driver in
/// POSIX sh that walks the phases with CodeBuild's failure rules, one script per command
/// (so functions and `set` options die with it), and the scripts that expand artifact paths
/// and copy out cache paths at the end. The driver reports progress as marker lines
/// (`<nonce> <event> ...`) on stdout, which `BuildMarker` reads.
struct BuildScript {
    var spec: BuildSpec
    /// Random per build, so a command cannot forge progress lines by accident.
    var nonce: String
    var controlDirectory = SandboxLayout.controlDirectory
    var sourceDirectory = SandboxLayout.sourceDirectory
    /// The texts to expand with the final state, in order, and whether each names a path
    /// that must be copied out when it lies outside the source directory.
    var expansions: [(text: String, exportRoot: Bool)] = []
    var restoresCache = false
    var savesCache = false

    /// File name (inside the control directory) to contents.
    func files(initialEnvironment: [(String, String)]) -> [String: String] {
        let initial = ShellStateScript.initialState(environment: initialEnvironment, directory: sourceDirectory)
        var files: [String: String] = ["driver.sh": driver(), "initial.sh": initial, "state.sh": initial,
                                       "collect.sh": collect()]
        for phase in spec.phases {
            for (i, command) in phase.commands.enumerated() {
                files["cmd/\(phase.name.rawValue)-\(i).sh"] = commandScript(command.text)
            }
            for (i, command) in phase.finally.enumerated() {
                files["cmd/\(phase.name.rawValue)-f\(i).sh"] = commandScript(command.text)
            }
        }
        if savesCache, let cache = spec.cache { files["cache-save.sh"] = cacheSave(cache.paths) }
        return files
    }

    var shellPath: String { spec.env.shell.path }
    private var q: (String) -> String { ShellQuoting.quote }

    // MARK: - Command scripts

    func commandScript(_ text: String) -> String {
        let state = spec.carriesShellState ? "state.sh" : "initial.sh"
        var script = ". \(q(controlDirectory + "/" + state))\n"
        if spec.carriesShellState {
            script += ShellStateScript.functions + "\n"
            // Saved on every exit: the end of the text, `exit`, or a failure under `set -e`.
            script += "trap '__slipway_status=$?; trap - EXIT; __slipway_save \"\(controlDirectory)/state.sh\"; exit $__slipway_status' EXIT\n"
        }
        // The command last: nothing after it can be swallowed by an unterminated here-document.
        return script + text + "\n"
    }

    // MARK: - Driver

    func driver() -> String {
        var s = """
        C=\(q(controlDirectory))
        N=\(q(nonce))
        SH=\(q(shellPath))
        m() { printf '%s %s\\n' "$N" "$*"; }
        x() { m cmd "$1" "$2"; "$SH" "$C/cmd/$1-$2.sh"; s=$?; m status "$1" "$2" "$s"; }
        CODEBUILD_BUILD_SUCCEEDING=1; export CODEBUILD_BUILD_SUCCEEDING
        failed=0 stop=0
        umask 022
        cd \(q(sourceDirectory))

        """
        if restoresCache {
            s += """
            if [ -d \(q(SandboxLayout.cacheRestoreDirectory)) ]; then
              cp -a \(q(SandboxLayout.cacheRestoreDirectory + "/.")) / 2>/dev/null; m cache-restored $?
            fi

            """
        }
        for phase in spec.phases { s += phaseCode(phase) }
        s += """
        if [ $stop = 0 ]; then
          m collect
          "$SH" "$C/collect.sh" || m collect-failed $?

        """
        if savesCache {
            s += """
              if [ $failed = 0 ]; then "$SH" "$C/cache-save.sh"; m cache-saved $?; fi

            """
        }
        s += "fi\nm done $failed\n"
        return s
    }

    private func phaseCode(_ phase: BuildPhase) -> String {
        let name = phase.name.rawValue
        // A failure in install or pre_build ends the build; after build, post_build still runs.
        let endsBuild = phase.name == .install || phase.name == .pre_build
        var body = "  m phase \(name)\n  ok=1\n"
        for (i, command) in phase.commands.enumerated() {
            let run = "x \(name) \(i); if [ $s != 0 ]; then ok=0; msg=\(q(failureMessage(command.text)))\"$s\"; fi"
            body += i == 0 ? "  \(run)\n" : "  if [ $ok = 1 ]; then \(run); fi\n"
        }
        if !phase.finally.isEmpty {
            body += "  fok=1\n"
            for (i, command) in phase.finally.enumerated() {
                let run = "x \(name) f\(i); if [ $s != 0 ]; then fok=0; ok=0; msg=\(q(failureMessage(command.text)))\"$s\"; fi"
                body += i == 0 ? "  \(run)\n" : "  if [ $fok = 1 ]; then \(run); fi\n"
            }
        }
        if case let .retry(count, pattern) = phase.onFailure {
            let matches = pattern.map { " && printf '%s' \"$msg\" | grep -Eq -- \(q($0))" } ?? ""
            body += "  if [ $ok = 0 ] && [ $a -lt \(count) ]\(matches); then a=$((a+1)); m retry \(name) $a; continue; fi\n"
        }
        body += "  break\n"
        var s = "if [ $stop = 0 ]; then\n  a=0\n  while :; do\n" + body.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n  done\n"
        s += "  if [ $ok = 1 ]; then m end \(name) SUCCEEDED; else\n"
        s += "    m end \(name) FAILED; failed=1; CODEBUILD_BUILD_SUCCEEDING=0\n"
        if endsBuild && phase.onFailure != .continue { s += "    stop=1\n" }
        s += "  fi\nfi\n"
        return s
    }

    /// CodeBuild's wording; RETRY-<regex> matches against it.
    func failureMessage(_ command: String) -> String {
        "Error while executing command: \(command.trimmingCharacters(in: .whitespacesAndNewlines)). Reason: exit status "
    }

    // MARK: - End of build

    /// Expands every artifact, report and export text with the final state (without
    /// globbing) into `expanded` (NUL-separated), and copies absolute paths outside the
    /// source directory into `export/`, because the sandbox's /tmp and root vanish with it.
    func collect() -> String {
        let state = spec.carriesShellState ? "state.sh" : "initial.sh"
        var s = """
        . \(q(controlDirectory + "/" + state))
        set -f
        __C=\(q(controlDirectory))
        : > "$__C/expanded"
        e() { eval "__v=\\"$1\\""; printf '%s\\0' "$__v" >> "$__C/expanded"; }
        r() {
          case $__v in /*) ;; *) return 0 ;; esac
          case $__v in "$CODEBUILD_SRC_DIR"|"$CODEBUILD_SRC_DIR"/*) return 0 ;; esac
          __r=${__v%%[*?[]*}
          [ "$__r" = "$__v" ] || __r=${__r%/*}
          __r=${__r%/}
          [ -n "$__r" ] && [ -e "$__r" ] || return 0
          mkdir -p "$__C/export${__r%/*}" && cp -a "$__r" "$__C/export${__r%/*}/"
        }

        """
        for item in expansions {
            s += "e \(q(Self.escapeForDoubleQuotes(item.text)))" + (item.exportRoot ? "; r" : "") + "\n"
        }
        return s
    }

    func cacheSave(_ paths: [String]) -> String {
        let state = spec.carriesShellState ? "state.sh" : "initial.sh"
        var s = """
        . \(q(controlDirectory + "/" + state))
        set -f
        __S=\(q(controlDirectory + "/cache-save"))
        c() {
          eval "__p=\\"$1\\""
          case $__p in /*) ;; *) __p=$CODEBUILD_SRC_DIR/$__p ;; esac
          __r=${__p%%[*?[]*}
          [ "$__r" = "$__p" ] || __r=${__r%/*}
          __r=${__r%/}
          [ -n "$__r" ] && [ -e "$__r" ] || return 0
          mkdir -p "$__S${__r%/*}" && cp -a "$__r" "$__S${__r%/*}/"
        }

        """
        for path in paths { s += "c \(q(Self.escapeForDoubleQuotes(path)))\n" }
        return s
    }

    /// Text to be evaluated inside double quotes: `$VAR` and `$(...)` expand, quotes and
    /// backslashes stay literal.
    static func escapeForDoubleQuotes(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
