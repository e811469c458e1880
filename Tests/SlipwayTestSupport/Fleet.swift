import Foundation
import SlipwayCore
import Synchronization

/// Four real hosts behind a real load balancer, made once per test process: each host is a
/// network namespace on a private bridge (veth pairs) with its own sshd (its own host key)
/// and an nginx serving its target's `current`; the balancer is a fifth namespace whose nginx
/// proxies to the four. The namespaces share this machine's file system, so a test reads a
/// host's files directly. Everything is removed when the test process exits (and what a
/// crashed test process left is removed by the next one). Needs root, iproute2, nginx and
/// openssh-server (`scripts/install-deps`).
public final class Fleet: Sendable {
    public struct Host: Sendable {
        /// `h1` … `h4`: also what its nginx sends as `X-Served-By`.
        public var name: String
        public var address: String
        public var namespace: String
        /// The bridge side of its veth pair: `ip link set LINK down` cuts the host off.
        public var link: String
        /// Its own directory (nginx and sshd files, and targets under it).
        public var directory: String
        /// The target its nginx serves: `<directory>/app` (`current` under it).
        public var root: String { directory + "/app" }
        /// `ssh://slipway-fleet@ADDRESS/<directory>/app`.
        public var target: String
    }

    public static let user = "slipway-fleet"
    public let hosts: [Host]
    public let balancerAddress: String
    /// Where the balancer's `upstream fleet { … }` lives; the traffic script edits it.
    public let upstreamFile: String
    public let directory: String
    /// What to put in SLIPWAY_SSH_COMMAND: this fleet's client key and known_hosts.
    public let sshCommand: String
    /// `drain` / `undrain` commands for a stage: mark `$SLIPWAY_HOST` down in the balancer's
    /// upstream (or not), check the configuration, reload, and wait for the old workers to
    /// finish their requests. Each appends `drain|undrain HOST DOWN-COUNT` to `trafficLog`.
    public let drainCommand: String
    public let undrainCommand: String
    public let trafficLog: String
    /// Each host's sshd (by host name): its sessions share its mount namespace.
    private let sshd: [String: pid_t]

    /// Whether this machine can make a fleet (root and the tools).
    public static var available: Bool {
        geteuid() == 0 && ["/usr/sbin/ip", Nginx.binary, "/usr/sbin/sshd", "/usr/bin/ssh"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static let once = StartedOnce<Fleet>("the fleet (network namespaces, sshd, nginx)")

    /// The test process's fleet, made on first use.
    public static func shared() throws -> Fleet { try once.get { try Fleet() } }

    /// The balancer's URL for `path`.
    public func url(_ path: String = "/") -> String { "http://\(balancerAddress)\(path)" }

    private init() throws {
        let pid = getpid()
        Self.sweepLeftovers()
        let prefix = "slw\(pid)"
        let subnet = try Self.freeSubnet()
        directory = try TemporaryDirectory.forThisProcess("slipway-fleet")
        chmod(directory, 0o755)
        try Self.ensureUser()
        let account = getpwnam(Self.user)!.pointee
        var hosts: [Host] = []
        for i in 1...4 {
            let name = "h\(i)"
            let dir = directory + "/" + name
            try makeDirectories(dir + "/app")
            chown(dir, account.pw_uid, account.pw_gid)
            chown(dir + "/app", account.pw_uid, account.pw_gid)
            hosts.append(Host(name: name, address: "\(subnet).\(10 + i)", namespace: "\(prefix)-\(name)", link: "\(prefix)\(name)",
                              directory: dir, target: "ssh://\(Self.user)@\(subnet).\(10 + i)\(dir)/app"))
        }
        self.hosts = hosts
        balancerAddress = "\(subnet).10"
        upstreamFile = directory + "/lb/upstream.conf"
        trafficLog = directory + "/traffic.log"
        let bridge = prefix

        // The network: a bridge here (address .1, so this process reaches every namespace),
        // one veth pair per namespace.
        cleanups.withLock { list in
            if list.isEmpty { atexit { cleanups.withLock { $0.forEach { _ = runShell($0) } } } }
            list.append(Self.teardown(prefix: prefix))
        }
        var script = "set -e\nip link add \(bridge) type bridge\nip addr add \(subnet).1/24 dev \(bridge)\nip link set \(bridge) up\n"
        for (ns, link, address) in hosts.map({ ($0.namespace, $0.link, $0.address) }) + [("\(prefix)-lb", "\(prefix)lb", balancerAddress)] {
            script += """
                ip netns add \(ns)
                ip link add \(link) type veth peer name eth0 netns \(ns)
                ip link set \(link) master \(bridge) up
                ip -n \(ns) addr add \(address)/24 dev eth0
                ip -n \(ns) link set eth0 up
                ip -n \(ns) link set lo up

                """
        }
        try Self.check(runShell(script), "setting up the network")

        // Keys: one client key, a host key per host, known_hosts naming each.
        try makeDirectories(directory + "/ssh", mode: 0o755)
        try makeDirectories("/run/sshd", mode: 0o755)
        try Self.check(runShell("ssh-keygen -q -t ed25519 -N '' -f \(directory)/ssh/client_key"), "ssh-keygen")
        var known = ""
        for host in hosts {
            try Self.check(runShell("ssh-keygen -q -t ed25519 -N '' -f \(host.directory)/host_key"), "ssh-keygen")
            let key = try String(contentsOfFile: host.directory + "/host_key.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
            known += "\(host.address) \(key)\n"
        }
        try Data(known.utf8).write(to: URL(fileURLWithPath: directory + "/ssh/known_hosts"))
        try FileManager.default.copyItem(atPath: directory + "/ssh/client_key.pub", toPath: directory + "/ssh/authorized_keys")
        sshCommand = "ssh -F /dev/null -i \(directory)/ssh/client_key -o IdentitiesOnly=yes "
            + "-o UserKnownHostsFile=\(directory)/ssh/known_hosts -o StrictHostKeyChecking=yes"

        // Each host: sshd and nginx in its namespace.
        var servers: [(Process, String, Int)] = []
        var sshd: [String: pid_t] = [:]
        for host in hosts {
            try Data("""
                ListenAddress \(host.address):22
                HostKey \(host.directory)/host_key
                PidFile \(host.directory)/sshd.pid
                AuthorizedKeysFile \(directory)/ssh/authorized_keys
                StrictModes no
                UsePAM no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PrintMotd no
                PrintLastLog no
                MaxStartups 100
                MaxSessions 100

                """.utf8).write(to: URL(fileURLWithPath: host.directory + "/sshd_config"))
            try Self.nginx(directory: host.directory, http: """
                server {
                    listen \(host.address):80;
                    root \(host.root)/current;
                    default_type text/html;
                    add_header X-Served-By \(host.name) always;
                    location / { try_files $uri $uri/index.html =404; }
                }
                """)
            let server = try launchServer(["/usr/sbin/ip", "netns", "exec", host.namespace, "/usr/sbin/sshd", "-D", "-e", "-f", host.directory + "/sshd_config"],
                                          log: host.directory + "/sshd.log")
            sshd[host.name] = server.processIdentifier
            servers.append((server, host.address, 22))
            servers.append((try launchServer(["/usr/sbin/ip", "netns", "exec", host.namespace, Nginx.binary, "-c", host.directory + "/nginx.conf"],
                                             log: host.directory + "/nginx.out"), host.address, 80))
        }

        // The balancer: round robin over the four, the next host on a refused connection.
        try makeDirectories(directory + "/lb")
        try Data(("upstream fleet {\n" + hosts.map { "    server \($0.address):80;\n" }.joined() + "}\n").utf8)
            .write(to: URL(fileURLWithPath: upstreamFile))
        try Self.nginx(directory: directory + "/lb", http: """
            include \(upstreamFile);
            server {
                listen \(balancerAddress):80;
                location / {
                    proxy_pass http://fleet;
                    proxy_next_upstream error timeout http_502 http_503 http_504;
                    proxy_connect_timeout 2s;
                }
            }
            """)
        servers.append((try launchServer(["/usr/sbin/ip", "netns", "exec", "\(prefix)-lb", Nginx.binary, "-c", directory + "/lb/nginx.conf"],
                                         log: directory + "/lb/nginx.out"), balancerAddress, 80))

        let traffic = directory + "/traffic"
        try Data(Self.trafficScript(lb: directory + "/lb", namespace: "\(prefix)-lb", log: trafficLog).utf8).write(to: URL(fileURLWithPath: traffic))
        chmod(traffic, 0o755)
        drainCommand = "\(traffic) drain"
        undrainCommand = "\(traffic) undrain"

        self.sshd = sshd
        for (process, address, port) in servers {
            let deadline = Date().addingTimeInterval(20)
            while !Self.accepts(address, port: port) {
                guard process.isRunning, Date() < deadline else {
                    throw TestFailure("the fleet's server on \(address):\(port) did not start (\(process.arguments?.suffix(4).joined(separator: " ") ?? ""))")
                }
                usleep(25_000)
            }
        }
        // nginx writes its pid file after it binds: the traffic script reads the balancer's.
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: directory + "/lb/nginx.pid") {
            guard Date() < deadline else { throw TestFailure("the balancer's nginx wrote no pid file") }
            usleep(25_000)
        }
    }

    /// Runs a shell command as root on `host`: in its network namespace and the mount
    /// namespace its SSH sessions see (`ip netns exec` gives each its own), so a file system
    /// mounted here is the host's alone.
    @discardableResult
    public func run(on host: Host, _ command: String) throws -> String {
        guard let pid = sshd[host.name] else { throw TestFailure("no sshd for \(host.name)") }
        let result = runShell("nsenter --target \(pid) --mount --net -- /bin/sh -c '\(command.replacingOccurrences(of: "'", with: "'\\''"))'")
        try Self.check(result, "on \(host.name): \(command)")
        return result.output
    }

    /// Cuts a host off the network (its link down) or brings it back.
    public func setLink(_ host: Host, up: Bool) throws {
        try Self.check(runShell("ip link set \(host.link) \(up ? "up" : "down")"), "ip link set \(host.link)")
        if up { try waitUntilReachable(host) }
    }

    public func waitUntilReachable(_ host: Host) throws {
        let deadline = Date().addingTimeInterval(20)
        while !Self.accepts(host.address, port: 22) {
            guard Date() < deadline else { throw TestFailure("\(host.name) (\(host.address)) is not reachable again") }
            usleep(50_000)
        }
    }

    /// Every host back in the balancer's rotation, and the traffic log emptied.
    public func resetBalancer() throws {
        try Self.check(runShell("\(undrainCommand) all && : > \(trafficLog)"), "undraining every host")
    }

    /// The hosts the balancer's upstream marks down.
    public func drained() -> [String] {
        let text = (try? String(contentsOfFile: upstreamFile, encoding: .utf8)) ?? ""
        return hosts.filter { text.contains("server \($0.address):80 down;") }.map(\.name)
    }

    /// What the balancer answered.
    public struct Response: Sendable {
        public var status: Int
        /// The host that served it (its nginx's `X-Served-By`).
        public var servedBy: String?
        public var body: [UInt8]
    }

    /// GETs `path` through the balancer on a fresh connection (HTTP/1.1, `Connection:
    /// close`); nil on a connection error (refused, reset, timed out, cut short).
    public func get(_ path: String = "/") -> Response? {
        guard let response = Loopback.get(path, port: 80, host: balancerAddress) else { return nil }
        // A body shorter than announced is a connection cut short.
        if let length = response.headers["content-length"].flatMap(Int.init), response.body.count != length { return nil }
        return Response(status: response.status, servedBy: response.headers["x-served-by"], body: response.body)
    }

    /// An nginx configuration under `directory` with a master process (the traffic script
    /// reloads it) and one worker, as root, its connections kept alive for 30 s.
    private static func nginx(directory: String, http: String) throws {
        try Nginx.writeConfiguration(directory: directory, main: ["master_process on;", "worker_processes 1;", "user root;"],
                                     http: "keepalive_timeout 30s;\n" + http)
    }

    /// drain|undrain HOST|all: edits the upstream under a lock (batches drain in parallel),
    /// checks the configuration, reloads, and waits until the workers that had the old
    /// configuration are gone, so no request the balancer takes afterwards reaches the host.
    static func trafficScript(lb: String, namespace: String, log: String) -> String {
        """
        #!/bin/sh
        # drain|undrain [HOST]: HOST defaults to $SLIPWAY_HOST (set by slipway for drain/undrain commands).
        set -e
        action=$1; host=${2:-$SLIPWAY_HOST}
        [ -n "$host" ] || { echo "no host given and SLIPWAY_HOST is not set" >&2; exit 2; }
        exec 9>\(lb)/traffic.lock
        flock 9
        conf=\(lb)/upstream.conf
        case "$action:$host" in
          drain:*) sed -i "s/^\\( *server $host:80\\);/\\1 down;/" "$conf" ;;
          undrain:all) sed -i "s/ down;/;/" "$conf" ;;
          undrain:*) sed -i "s/^\\( *server $host:80\\) down;/\\1;/" "$conf" ;;
          *) echo "usage: traffic drain|undrain HOST" >&2; exit 2 ;;
        esac
        master=$(cat \(lb)/nginx.pid)
        # The master's nginx children (the process watching the test's lifetime is one too).
        old=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v m="$master" '$2 == "(nginx)" && $4 == m { print $1 }')
        # In the balancer's namespace: nginx -t binds its listen addresses.
        ip netns exec \(namespace) nginx -t -q -c \(lb)/nginx.conf
        kill -HUP "$master"
        # The reload is done when the old workers have finished their requests and exited.
        for _ in $(seq 200); do
          left=""
          for p in $old; do [ -d /proc/$p ] && left="$left $p"; done
          [ -z "$left" ] && break
          sleep 0.05
        done
        [ -z "$left" ] || { echo "nginx workers$left did not finish in 10 s" >&2; exit 1; }
        echo "$action $host $(grep -c ' down;' "$conf" || true)" >> \(log)
        """
    }

    /// Kills everything in a fleet's namespaces and removes them and its bridge.
    private static func teardown(prefix: String) -> String {
        """
        for ns in $(ip netns list | awk '{print $1}' | grep '^\(prefix)-'); do
          for p in $(ip netns pids "$ns"); do kill -9 "$p"; done
          ip netns del "$ns"
        done
        ip link del \(prefix) 2>/dev/null
        true
        """
    }

    /// Removes fleets of test processes that have ended.
    private static func sweepLeftovers() {
        let listing = runShell("ip netns list | awk '{print $1}'; ip -o link show type bridge | awk -F': ' '{print $2}'").output
        var dead: Set<String> = []
        for name in listing.split(separator: "\n") where name.hasPrefix("slw") {
            let digits = name.dropFirst(3).prefix { $0.isNumber }
            if let pid = Int32(digits), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { dead.insert("slw\(digits)") }
        }
        for prefix in dead { runShell(teardown(prefix: prefix)) }
    }

    /// A /24 of 10.213.0.0/16 no interface of this machine uses.
    private static func freeSubnet() throws -> String {
        let used = runShell("ip -o -4 addr show").output
        for i in 0..<200 {
            let candidate = "10.213.\((Int(getpid()) + i) % 200 + 20)"
            if !used.contains(" \(candidate).") { return candidate }
        }
        throw TestFailure("no free subnet in 10.213.0.0/16 for the fleet")
    }

    private static func ensureUser() throws {
        // A password of `*` (not `!`): sshd without PAM refuses locked accounts even for keys.
        if getpwnam(user) != nil { return }
        let r = runShell("useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh --password '*' \(user)")
        guard r.status == 0 || getpwnam(user) != nil else { throw TestFailure("useradd: \(r.output)") }
    }

    private static func check(_ result: (status: Int32, output: String), _ what: String) throws {
        guard result.status == 0 else { throw TestFailure("\(what) failed (status \(result.status)): \(result.output)") }
    }

    /// Whether `address`:`port` accepts a TCP connection within a second.
    static func accepts(_ address: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var target = Loopback.address(port: port, host: address)
        return withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// Teardown scripts run when the test process exits.
private let cleanups = Mutex<[String]>([])

/// Runs `/bin/sh -c script` to its end with posix_spawn (safe in an atexit handler, and its
/// output never reaches the test's own stdout): status and combined output.
@discardableResult
func runShell(_ script: String) -> (status: Int32, output: String) {
    let output = NSTemporaryDirectory() + "/slipway-fleet-sh-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    defer { unlink(output) }
    let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    let pid = spawnToFile(["/bin/sh", "-c", script], environment: ["PATH": path], output: output)
    guard pid > 0 else { return (127, "cannot run /bin/sh") }
    let code = waitForChild(pid)
    return (code, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
}
