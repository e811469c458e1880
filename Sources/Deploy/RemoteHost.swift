import Archive
import Artifacts
import Foundation
import SlipwayCore
import Specs
import Synchronization

/// A target on another machine, driven over OpenSSH.
///
/// The remote needs only POSIX sh, tar, `flock` (util-linux or BusyBox), `setsid` and `mv -T`
/// (GNU or BusyBox): no Slipway. The artifact is decompressed and verified here and sent as a
/// plain tar stream, so the remote needs no zstd and a corrupt blob never becomes a release.
public struct RemoteHost: ReleaseHost {
    public let destination: SSHDestination
    public let layout: ReleaseLayout
    let session: SSHSession
    let events: DeployEventSink
    /// Where each release's hook scripts are, once asked (it never changes).
    private let bundles = BundleCache()

    public var name: String { destination.login }
    public var healthHost: String { destination.host }

    /// `timeouts` bound how long ssh waits for the host (default: 10 s to connect, or
    /// `SLIPWAY_SSH_CONNECT_TIMEOUT`).
    public init(destination: SSHDestination, events: @escaping DeployEventSink, timeouts: SSHTimeouts = .fromEnvironment()) {
        self.destination = destination
        layout = ReleaseLayout(root: destination.path)
        session = SSHSession(destination: destination, timeouts: timeouts)
        self.events = events
    }

    public func prepareLayout() throws {
        // cd happens first in every script, so create the root from its parent.
        let parent = (layout.root as NSString).deletingLastPathComponent
        do {
            try SSHSession(destination: SSHDestination(user: destination.user, host: destination.host, port: destination.port, path: parent.isEmpty ? "/" : parent),
                           timeouts: session.timeouts)
                .run(Self.layoutScript, [layout.root])
        } catch let failure as RemoteFailure {
            if failure.status == 77, let denied = failure.lines.first(where: { $0.hasPrefix("slipway-denied ") }) {
                throw SlipwayError.failed(Self.permissionMessage(denied, root: layout.root))
            }
            throw SlipwayError.failed(failure.message)
        }
    }

    /// Checks, before anything is written, that the SSH user may write every place a deploy
    /// writes (the target, `releases/`, `shared/`, `.slipway/` and its files; for a place not
    /// made yet, the nearest existing parent), then makes what is missing. A directory that
    /// belongs to another user fails here, on every deploy's first step, instead of halfway
    /// through a rollout with a release half written. Exit 77 with
    /// `slipway-denied USER MODE OWNER:GROUP PATH`.
    static let layoutScript = """
        user=$(id -un)
        denied() { echo "slipway-denied $user $(ls -ld "$1" | awk '{ print $1 " " $3 ":" $4 }') $1"; exit 77; }
        for d in "$1" "$1/releases" "$1/shared" "$1/.slipway" "$1/.slipway/appspec"; do
          e=$d
          while [ ! -e "$e" ] && [ ! -L "$e" ]; do e=$(dirname "$e"); done
          [ ! -d "$e" ] || { [ -w "$e" ] && [ -x "$e" ]; } || denied "$e"
        done
        for f in "$1/.slipway/journal" "$1/.slipway/lock"; do [ ! -e "$f" ] || [ -w "$f" ] || denied "$f"; done
        mkdir -p "$1/releases" "$1/shared" "$1/.slipway/appspec"
        """

    /// What a `slipway-denied` line means, and the fix.
    static func permissionMessage(_ line: String, root: String) -> String {
        let parts = line.split(separator: " ", maxSplits: 4).map(String.init)
        guard parts.count == 5 else { return "permission denied: " + line }
        let (user, mode, owner, path) = (parts[1], parts[2], parts[3], parts[4])
        let what = mode.hasPrefix("d") ? "directory" : "file"
        return "permission denied: \(user) may not write the \(what) \(path) (owner \(owner), mode \(mode)), "
            + "where a deploy writes its releases, journal and `current` link; nothing was written on this host. "
            + "Give it to the deploy user (chown -R \(user) \(root)), or deploy as a user who may write it"
    }

    public func lock(purpose: String, wait: TimeInterval) throws -> any HostLock {
        let deadline = Date().addingTimeInterval(wait)
        var stale: String?
        while true {
            if let lock = try RemoteLock.acquire(session, owner: "ssh from \(localHostName()) pid \(getpid()): \(purpose)", staleOwner: stale) {
                return lock
            }
            let held = (try? session.run("cat .slipway/lock")) ?? []
            let owner = held.first ?? ""
            // A deploy from this machine whose process is gone, yet the host still holds its
            // lock: its connection died while the host was unreachable, and the host has not
            // noticed. Its holder processes are ended and the lock taken over.
            if stale == nil, let holders = RemoteLock.deadHolders(held) {
                events(DeployEvent(host: name, kind: .warning, text: "taking over the lock of a deploy whose process is gone (\(owner))"))
                _ = try? session.run("kill -KILL \(holders) 2>/dev/null; sleep 0.2; true")
                stale = owner
                continue
            }
            if Date() >= deadline {
                throw SlipwayError.failed("\(layout.root): another deploy holds this target (\(owner.isEmpty ? "owner unknown" : owner))")
            }
            usleep(200_000)
        }
    }

    public func records() throws -> [JournalRecord] {
        JournalRecord.parse(try remote("cat .slipway/journal 2>/dev/null || true").joined(separator: "\n"))
    }

    public func append(_ record: JournalRecord) throws {
        // A torn last line gets its newline first; `sync` stands in for fsync in sh.
        try remote("""
            j=.slipway/journal
            if [ -s "$j" ] && [ -n "$(tail -c 1 "$j")" ]; then printf '\\n' >> "$j"; fi
            printf '%s\\n' "$1" >> "$j" && sync
            """, [try record.line()])
    }

    public func current() throws -> String? {
        let text = try remote("readlink current || true").joined()
        return text.isEmpty ? nil : ReleaseLayout.releaseID(fromLink: text)
    }

    public func stage(_ artifact: ArtifactRecord, from store: ArtifactStore, id: String) throws -> StagedBundle {
        let scan = try BundleScan(blob: store.blobPath(artifact.digest))
        let staging = layout.releases + "/.\(id).bundle"
        let child = try session.start(Self.unpackScript, [staging], input: .pipe)
        var verified = false
        defer { if !verified { child.signal(SIGKILL); child.wait() } }
        // Stream the decompressed tar, hashing it on the way; the release is only named after
        // both digests match.
        let reader = try TarReader(path: store.blobPath(artifact.digest), mode: .raw)
        var tar = SHA256Stream()
        do {
            if try reader.next() != nil {
                try reader.readData { chunk, _ in
                    tar.update(chunk)
                    try child.send(chunk)
                }
            }
            try reader.drain()
        } catch {
            child.closeInput()
            // The host stopped reading: what it said (a full disk) is the reason, not the pipe.
            var output = LastLines()
            let ending = child.pumpLines(deadline: Date().addingTimeInterval(30), grace: 2) { output.append($1) }
            verified = true
            if ending == .exited(255) { throw session.connectionFailure(output.lines) }
            if let said = output.lines.suffix(3).joined(separator: "\n").nonEmpty { throw SlipwayError.failed("unpacking failed: " + said) }
            throw SlipwayError.wrapping(error, "sending the artifact failed", otherwise: .failed)
        }
        child.closeInput()
        var output = LastLines()
        let ending = child.pumpLines(deadline: Date().addingTimeInterval(3600), grace: 2) { output.append($1) }
        verified = true
        guard try reader.rawDigest == artifact.blob.digest, tar.finalize() == artifact.digest else {
            throw SlipwayError.corrupt("\(artifact.digest): the stored blob is corrupt; nothing was installed on \(name)")
        }
        guard ending == .exited(0) else {
            if ending == .exited(255) { throw session.connectionFailure(output.lines) }
            throw SlipwayError.failed("unpacking failed: " + (output.lines.suffix(3).joined(separator: "\n").nonEmpty ?? "\(ending)"))
        }
        let root = scan.rootFolder.map { staging + "/" + $0 } ?? staging
        return StagedBundle(root: root, appspec: scan.appspec)
    }

    /// Unpacks the tar on stdin into a fresh staging directory `$1`. On failure the partial
    /// directory is removed, and a full file system is named (GNU tar says only "Wrote only
    /// N of M bytes").
    static let unpackScript = """
        rm -rf "$1" && mkdir -p "$1" || exit
        tar -xf - -C "$1" && exit 0
        rc=$?
        free=$(df -Pk "$1" 2>/dev/null | awk 'NR == 2 && $4 < 1024 { print $4 " KiB free on " $6 }')
        [ -z "$free" ] || echo "No space left on device ($free)"
        rm -rf "$1"
        exit $rc
        """

    public func install(_ staged: StagedBundle, id: String, plan: InstallPlan) throws {
        try remote(InstallScript.make(plan) + "rm -rf \"releases/.$id.bundle\"\nsync\n", [id, staged.root])
    }

    public func saveAppSpec(_ text: String, id: String) throws {
        try remote("mkdir -p .slipway/appspec && cat > \".slipway/appspec/$1.tmp\" && mv \".slipway/appspec/$1.tmp\" \".slipway/appspec/$1\"",
                   [id], input: Data(text.utf8))
    }

    public func loadAppSpec(id: String) -> String? {
        (try? remote("cat \".slipway/appspec/$1\"", [id]))?.joined(separator: "\n")
    }

    public func bundlePath(id: String) -> String {
        if let known = bundles[id] { return known }
        let exists = (try? remote("[ -d \".slipway/bundles/$1\" ] && echo yes || true", [id]).joined()) == "yes"
        let path = exists ? layout.bundle(id) : layout.release(id)
        bundles[id] = path
        return path
    }

    public func runHooks(_ event: LifecycleEvent, scripts: [HookScript], bundle: String, context: HookContext) throws {
        for script in scripts {
            let path = try hookScriptPath(script.location)
            events(DeployEvent(host: name, kind: .step, event: event, text: "running \(script.location)" + (script.runas.map { " as \($0)" } ?? "")))
            let env = context.environment(for: event).map { "\($0.key)=\($0.value)" }.sorted()
            do {
                try session.run(Self.hookScript, [bundle, path, String(script.timeout), script.runas ?? ""] + env,
                                timeout: TimeInterval(script.timeout) + 60) { line in
                    events(DeployEvent(host: name, kind: .hookOutput, event: event, text: line))
                }
            } catch let failure as RemoteFailure {
                switch failure.status {
                case 124: throw SlipwayError.failed("\(event.rawValue): \(script.location) ran longer than its timeout of \(script.timeout) s; its process group was killed")
                case 126 where failure.lines.last == "slipway-hook: outside the bundle":
                    throw SlipwayError.badInput("\(event.rawValue): script \(script.location) leads out of the bundle through a symlink; "
                                                + "hooks run only files inside the bundle")
                case 126: throw SlipwayError.failed("\(event.rawValue): script \(script.location) is missing from the bundle")
                case 125 where failure.lines.last?.hasPrefix("slipway-hook: runas:") == true:
                    let said = failure.lines.last!.dropFirst("slipway-hook: ".count)
                    throw SlipwayError.failed("\(event.rawValue): \(script.location): \(said)")
                default: throw SlipwayError.failed(hookFailure(event, script, status: failure.status, said: failure.lines.last { !$0.isEmpty }))
                }
            }
        }
    }

    /// Runs one hook in its own session (setsid: its pid is its process group), kills the
    /// group at the timeout, and sends its output after it exits from a file, so a daemon that
    /// keeps stdout open holds a file, not the SSH channel.
    static let hookScript = """
        bundle=$1; script=$2; timeout=$3; runas=$4; shift 4
        # The script as resolved, and only when that is inside the bundle: a symlink (of the
        # script or a directory on the way) never leads a hook, or its chmod, out of it.
        root=$(readlink -f -- "$bundle") && real=$(readlink -f -- "$bundle/$script") || exit 126
        case $real in "$root"/*) ;; *) echo "slipway-hook: outside the bundle"; exit 126 ;; esac
        script=${real#"$root"/}
        [ -f "$real" ] || exit 126
        [ -x "$real" ] || chmod +x "$real"
        bundle=$root
        if [ -n "$runas" ] && [ "$runas" != "$(id -un)" ]; then
        \(runAsCheck)
        fi
        log=$(mktemp); cd "$bundle" || exit 126
        if [ -n "$runas" ] && [ "$runas" != "$(id -un)" ]; then
          setsid env "$@" su -s /bin/sh -c 'exec "$0"' "$runas" "$bundle/$script" </dev/null >"$log" 2>&1 &
        else
          setsid env "$@" "$bundle/$script" </dev/null >"$log" 2>&1 &
        fi
        pid=$!
        # The watcher is its own process group too, so stopping it also stops its sleep.
        setsid sh -c 'sleep "$0"; : > "$1.timeout"; kill -KILL -"$2" 2>/dev/null' "$timeout" "$log" "$pid" </dev/null >/dev/null 2>&1 &
        watch=$!
        wait "$pid"; rc=$?
        kill -KILL -"$watch" 2>/dev/null || kill -KILL "$watch" 2>/dev/null
        cat "$log"
        if [ -e "$log.timeout" ]; then rc=124; fi
        rm -f "$log" "$log.timeout"
        exit $rc
        """

    public func checkRunAs(_ user: String) throws {
        do {
            try session.run("runas=$1\n[ \"$runas\" != \"$(id -un)\" ] || exit 0\n" + Self.runAsCheck, [user])
        } catch let failure as RemoteFailure {
            guard failure.status == 125, let said = failure.lines.last, said.hasPrefix("slipway-hook: ") else { throw SlipwayError.failed(failure.message) }
            throw SlipwayError.failed(String(said.dropFirst("slipway-hook: ".count)))
        }
    }

    /// For `$runas`, another user than the SSH user: exit 125 saying why hooks cannot run as
    /// it (su without a terminal can only switch users for root, so say so rather than fail in su).
    static let runAsCheck = """
          id -u -- "$runas" >/dev/null 2>&1 || { echo "slipway-hook: runas: user '$runas' does not exist on this host"; exit 125; }
          [ "$(id -u)" = 0 ] || { echo "slipway-hook: runas: running a hook as '$runas' needs root (the SSH user here is $(id -un), not root)"; exit 125; }
        """

    public func switchTo(_ id: String) throws {
        // ln -s to a temp name, then rename over current (mv -T renames, never unlinks first),
        // sync, and read the link back.
        try remote("""
            tmp=".current.tmp-$$"
            ln -s "releases/$1" "$tmp" && mv -T "$tmp" current || { rm -f "$tmp"; exit 1; }
            sync
            [ "$(readlink current)" = "releases/$1" ] || { echo "current changed under us"; exit 1; }
            """, [id])
    }

    public func removeRelease(_ id: String) throws {
        try remote("""
            [ "$(readlink current)" != "releases/$1" ] || { echo "refusing to remove the current release $1"; exit 1; }
            if [ -d "releases/$1" ]; then mv "releases/$1" "releases/.$1.removing" && rm -rf "releases/.$1.removing"; fi
            rm -rf ".slipway/bundles/$1" ".slipway/appspec/$1"
            """, [id])
    }

    public func releaseDirectories() throws -> [String] {
        try remote("ls -1 releases 2>/dev/null || true").filter { !$0.isEmpty && !$0.hasPrefix(".") }
    }

    public func sweep() throws {
        try remote("rm -f .current.tmp-*; for d in releases/.[!.]*; do [ -e \"$d\" ] && rm -rf \"$d\"; done; true")
    }

    public func healthCommand(_ command: String, releasePath: String, environment: [String: String]) -> String? {
        do {
            let variables = environment.map { "\($0.key)=\($0.value)" }.sorted()
            // The session itself, not `remote`: its failure keeps the exit status.
            _ = try session.run("release=$1 command=$2; shift 2; RELEASE_PATH=$release exec env \"$@\" RELEASE_PATH=\"$release\" sh -c \"$command\"",
                                [releasePath, command] + variables)
            return nil
        } catch let failure as RemoteFailure {
            return "exited with status \(failure.status)" + (failure.lines.last.map { ": \($0)" } ?? "")
        } catch {
            return message(error)
        }
    }

    /// Runs a script on the host; a failure says what the script printed last (the host's name
    /// is added by whoever reports on several hosts: the deployer, a rollback).
    @discardableResult
    func remote(_ script: String, _ arguments: [String] = [], input: Data? = nil) throws -> [String] {
        do {
            return try session.run(script, arguments, input: input)
        } catch let failure as RemoteFailure {
            throw SlipwayError.failed(failure.message)
        }
    }
}

/// Bundle paths by release id, shared by copies of a `RemoteHost`.
final class BundleCache: Sendable {
    private let paths = Mutex<[String: String]>([:])
    subscript(id: String) -> String? {
        get { paths.withLock { $0[id] } }
        set { paths.withLock { $0[id] = newValue } }
    }
}

/// The remote deploy lock: a `flock` held by a shell that lives as long as this process's SSH
/// connection. When this process dies (even by SIGKILL), ssh's stdin closes, the remote `cat`
/// ends and the kernel drops the lock: a dead deploy never leaves a stale remote lock.
final class RemoteLock: HostLock {
    let ssh: ChildProcess
    let staleOwner: String?

    private init(ssh: ChildProcess, staleOwner: String?) {
        self.ssh = ssh
        self.staleOwner = staleOwner
    }

    /// The lock, or nil when another deploy holds it. The lock file names the owner, then
    /// `holders SHELL CAT`: the two remote processes holding the lock, so a later deploy can
    /// end them when their owner is known to be gone (`deadHolders`).
    static func acquire(_ session: SSHSession, owner: String, staleOwner: String? = nil) throws -> RemoteLock? {
        // cat's stdin is the connection (saved as fd 8: a background command's own stdin is
        // /dev/null), and it holds the lock's descriptor too.
        let child = try session.start("""
            exec 9>>.slipway/lock
            if ! flock -n 9; then echo BUSY; exit 0; fi
            exec 8<&0
            cat <&8 >/dev/null 8<&- &
            printf '%s\\nholders %s %s\\n' "$1" "$$" "$!" > .slipway/lock
            echo LOCKED
            wait
            : > .slipway/lock
            """, [owner], input: .pipe)
        // ssh's own timeouts bound this; the deadline is for a host that answers and then stalls.
        let answer = child.readLine(deadline: Date().addingTimeInterval(TimeInterval(session.timeouts.connect) + 120)) ?? ""
        if answer == "LOCKED" { return RemoteLock(ssh: child, staleOwner: staleOwner) }
        var errors = LastLines()
        let ending = child.pumpLines(deadline: Date().addingTimeInterval(10), grace: 1) { stream, text in
            if stream == .stderr { errors.append(text) }
        }
        if answer == "BUSY" { return nil }
        if ending == .exited(255) { throw session.connectionFailure(errors.lines) }
        let reason = errors.lines.last ?? answer
        throw SlipwayError.failed("\(session.destination.login): cannot take the deploy lock (ssh \(ending == .timedOut ? "did not answer" : "exited with \(ending.status ?? 0)")\(reason.isEmpty ? "" : ": \(reason)"))")
    }

    /// The holder pids named in a lock file's lines, when its owner was a process of this
    /// machine that no longer exists (`ssh from HOST pid PID: …`); nil otherwise.
    static func deadHolders(_ lines: [String]) -> String? {
        guard let owner = lines.first, owner.hasPrefix("ssh from \(localHostName()) pid "),
              let pid = Int32(owner.dropFirst("ssh from \(localHostName()) pid ".count).prefix { $0.isNumber }),
              pid != getpid(), kill(pid, 0) != 0, errno == ESRCH,
              let holders = lines.dropFirst().first(where: { $0.hasPrefix("holders ") }) else { return nil }
        let pids = holders.dropFirst("holders ".count).split(separator: " ").filter { Int($0) != nil }
        return pids.count == 2 ? pids.joined(separator: " ") : nil
    }

    func release() {
        ssh.closeInput()
        _ = ssh.pump(deadline: Date().addingTimeInterval(30)) { _, _ in }
    }
}

/// What a bundle holds at its top, read from the stored blob without unpacking it: the single
/// top folder rule and the appspec's text.
struct BundleScan {
    var rootFolder: String?
    var appspec: (name: String, text: String)?

    init(blob: String) throws {
        let reader = try TarReader(path: blob)
        var top: Set<String> = []
        var found: [String: String] = [:]
        while let header = try reader.next() {
            var path = header.path
            while path.hasPrefix("./") { path.removeFirst(2) }
            while path.hasSuffix("/") { path.removeLast() }
            guard let first = path.split(separator: "/").first else { continue }
            top.insert(String(first))
            let depth = path.split(separator: "/").count
            if header.kind == .regular, depth <= 2, AppSpec.fileNames.contains((path as NSString).lastPathComponent) {
                var data = Data()
                try reader.readData { chunk, _ in data.append(contentsOf: chunk) }
                found[path] = String(decoding: data, as: UTF8.self)
            }
        }
        for name in AppSpec.fileNames {
            if let text = found[name] { appspec = (name, text); return }
        }
        if top.count == 1, let folder = top.first {
            for name in AppSpec.fileNames {
                if let text = found[folder + "/" + name] { rootFolder = folder; appspec = (name, text); return }
            }
        }
    }
}
