import Foundation
import Specs

/// The POSIX sh that lays a staged bundle out as a release: `files` copies with
/// `file_exists_behavior`, links to `shared/`, then `permissions`. The same script runs on
/// this machine and over SSH, so both behave alike. It builds a hidden `releases/.<id>.install`
/// directory and renames it into place only at the end: a crash never leaves a release
/// directory that looks complete.
///
/// Arguments: `$1` release id, `$2` staged bundle root. Runs from the target's root.
///
/// On this machine (`finished: false`) the script stops at the staged `releases/.<id>.install`:
/// the permissions are applied through descriptors opened beneath it (`ReleasePermissions`),
/// then it is renamed into place. Over SSH the script applies them itself with `find`, after
/// refusing an object whose path goes through a symlink.
enum InstallScript {
    static func make(_ plan: InstallPlan, finished: Bool = true) -> String {
        var s = """
            set -eu
            id=$1; bundle=$2; stage="$PWD/releases/.$id.install"
            fail() { echo "$*" >&2; exit 1; }
            rm -rf "$stage"

            """
        if plan.isIdentity {
            s += "mv \"$bundle\" \"$stage\"\n"
        } else {
            s += """
                mkdir -p "$stage"
                # copy SRC DEST BEHAVIOUR: a directory's contents, or a file, into DEST.
                copy() {
                  src="$bundle/$1"; dest="$stage/$2"
                  [ -e "$src" ] || fail "files: source '$1' is not in the bundle"
                  mkdir -p "$dest"
                  if [ -d "$src" ]; then from="$src"; else from="${src%/*}"; fi
                  if [ -d "$src" ]; then set -- .; else set -- "./${src##*/}"; fi
                  clash=$(cd "$from" && find "$@" ! -type d -exec sh -c 'd=$1; shift; for f; do if [ -e "$d/$f" ] || [ -L "$d/$f" ]; then echo "$f"; exit 0; fi; done' sh "$dest" {} + | head -n 1)
                  if [ -n "$clash" ]; then
                    case "$behaviour" in
                      DISALLOW) fail "files: ${clash#./} would be installed twice at ${dest#$stage/}; set file_exists_behavior: OVERWRITE or RETAIN" ;;
                      RETAIN) (cd "$from" && find "$@" ! -type d -exec sh -c 'd=$1; shift; for f; do [ -e "$d/$f" ] || [ -L "$d/$f" ] || { mkdir -p "$d/${f%/*}"; cp -P -p "$f" "$d/$f"; }; done' sh "$dest" {} +); return ;;
                    esac
                  fi
                  if [ -d "$src" ]; then cp -R -P -p "$src/." "$dest/"; else cp -P -p "$src" "$dest/"; fi
                }

                """
            s += "behaviour=\(plan.fileExistsBehavior.rawValue)\n"
            for copy in plan.copies {
                s += "copy \(shellQuote(copy.source)) \(shellQuote(copy.destination))\n"
            }
            s += "mkdir -p .slipway/bundles && rm -rf \".slipway/bundles/$id\" && mv \"$bundle\" \".slipway/bundles/$id\"\n"
        }
        // shared/: every top-level entry becomes a link in the release, replacing the bundle's
        // copy unless file_exists_behavior is RETAIN.
        s += """
            if [ -d shared ]; then
              for entry in shared/* shared/.[!.]*; do
                [ -e "$entry" ] || [ -L "$entry" ] || continue
                name=${entry#shared/}
                if [ -e "$stage/$name" ] || [ -L "$stage/$name" ]; then
                  [ "\(plan.fileExistsBehavior.rawValue)" = RETAIN ] && continue
                  rm -rf "$stage/$name"
                fi
                ln -s "../../shared/$name" "$stage/$name"
              done
            fi

            """
        guard finished else { return s }
        for p in plan.permissions {
            s += permissionCommands(p)
        }
        s += "chmod 755 \"$stage\"\nmv \"$stage\" \"releases/$id\"\n"
        return s
    }

    /// `find` over what the rule selects, then chown/chmod.
    static func permissionCommands(_ p: InstallPlan.Permission) -> String {
        let rule = p.rule
        let object = "\"$stage\"" + (p.object.isEmpty ? "" : "/" + shellQuote(p.object))
        var find = "find \(object) -mindepth 1"
        if rule.pattern != "**" { find += " -maxdepth 1 -name \(shellQuote(rule.pattern))" }
        for pattern in rule.except { find += " ! -name \(shellQuote(pattern))" }
        if rule.types.count == 1 { find += rule.types[0] == .file ? " -type f" : " -type d" }
        find += " ! -type l"
        var s = "[ -e \(object) ] || [ -L \(object) ] || fail \(shellQuote("permissions: object \(rule.object) was not installed"))\n"
        // No component of the object may be a symlink: find would follow it out of the release.
        var walked = "\"$stage\""
        for part in p.object.split(separator: "/") {
            walked += "/" + shellQuote(String(part))
            s += "[ ! -L \(walked) ] || fail \(shellQuote("permissions: object \(rule.object) is reached through a symlink in the release; permissions change only what the deployment installed, never what a link points to"))\n"
        }
        if rule.owner != nil || rule.group != nil {
            let who = (rule.owner ?? "") + (rule.group.map { ":" + $0 } ?? "")
            if let owner = rule.owner { s += "id -u \(shellQuote(owner)) >/dev/null 2>&1 || fail \(shellQuote("permissions: user \(owner) does not exist on this host"))\n" }
            s += "\(find) -exec chown \(shellQuote(who)) {} +\n"
        }
        if let mode = rule.mode {
            s += "\(find) -exec chmod \(String(mode, radix: 8)) {} +\n"
        }
        return s
    }
}

/// Quotes a word for POSIX sh.
func shellQuote(_ word: String) -> String {
    if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
