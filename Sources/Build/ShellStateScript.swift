import Foundation

/// The shell code that carries state from one command to the next (formats.md's state
/// model): every command is its own script that first restores the saved variables (exported
/// and plain) and working directory, and saves them again when it exits, even through
/// `exit` or `set -e`. Functions, arrays and `set` options are deliberately not saved.
enum ShellStateScript {
    /// Names that belong to the shell, not to the build. `CODEBUILD_BUILD_SUCCEEDING` is
    /// owned by the driver, which updates it between phases.
    static let shellOwnedNames = "PPID|PWD|OLDPWD|IFS|OPTIND|OPTARG|PS1|PS2|PS3|PS4|LINENO|SHLVL|_|BASH*|EUID|UID|GROUPS|HISTCMD|RANDOM|SECONDS|SRANDOM|EPOCHREALTIME|EPOCHSECONDS|SHELLOPTS|DIRSTACK|FUNCNAME|PIPESTATUS|COLUMNS|LINES|MACHTYPE|HOSTTYPE|OSTYPE|COMP_WORDBREAKS|HISTFILE|HISTFILESIZE|HISTSIZE|MAILCHECK|OPTERR|CODEBUILD_BUILD_SUCCEEDING"

    /// Defines `__slipway_q` (quote into `__slipway_r`, no subshell) and `__slipway_save FILE`
    /// in POSIX sh; works in dash, bash and busybox ash without external programs. A name is
    /// exported when `export -p` lists it at the start of a line.
    static let functions = #"""
    __slipway_q() {
      case $1 in
        *\'*) ;;
        *) __slipway_r="'$1'"; return ;;
      esac
      __slipway_s=$1 __slipway_o=
      while :; do
        case $__slipway_s in
          *\'*) __slipway_o="$__slipway_o${__slipway_s%%\'*}'\\''"; __slipway_s=${__slipway_s#*\'} ;;
          *) break ;;
        esac
      done
      __slipway_r="'$__slipway_o$__slipway_s'"
    }
    __slipway_save() {
      set +eu
      __slipway_x="
    $(export -p)"
      {
        set | while IFS= read -r __slipway_l; do
          case $__slipway_l in [A-Za-z_]*=*) ;; *) continue ;; esac
          __slipway_n=${__slipway_l%%=*}
          case $__slipway_n in *[!A-Za-z0-9_]*|__slipway_*|\#(shellOwnedNames)) continue ;; esac
          case ${__slipway_l#*=} in '('*) continue ;; esac
          eval "__slipway_t=\${$__slipway_n+set} __slipway_v=\${$__slipway_n}"
          [ "$__slipway_t" = set ] || continue
          __slipway_q "$__slipway_v"
          case $__slipway_x in
            *"
    export $__slipway_n="*|*"
    declare -x $__slipway_n="*) printf 'export %s=%s\n' "$__slipway_n" "$__slipway_r" ;;
            *) printf '%s=%s\n' "$__slipway_n" "$__slipway_r" ;;
          esac
        done
        __slipway_q "$PWD"; printf 'cd %s 2>/dev/null || :\n' "$__slipway_r"
      } > "$1"
    }
    """#

    /// The initial state: every variable exported, then `cd` into the source directory.
    static func initialState(environment: [(String, String)], directory: String) -> String {
        var text = ""
        for (name, value) in environment { text += "export \(name)=\(ShellQuoting.quote(value))\n" }
        text += "cd \(ShellQuoting.quote(directory))\n"
        return text
    }
}
