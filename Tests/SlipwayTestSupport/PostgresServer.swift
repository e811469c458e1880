import Foundation
import Synchronization

/// A throwaway PostgreSQL 15 cluster (Debian's postgresql-15) on 127.0.0.1, made with initdb in
/// a temporary directory and run as the unprivileged `postgres` user, started once per test
/// process and killed with it (`dedicated()`: a cluster of a test's own, which it may restart). Tests sign in as `slipway` with a password (SCRAM, as a real
/// installation would) and each gets a database of its own (`makeDatabase`), so they stay
/// independent while sharing one server.
public final class PostgresServer: Sendable {
    public let port: Int
    public let directory: String
    public static let user = "slipway"
    public static let password = "slipway-test-pw"
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// The bootstrap superuser, which makes the per-test databases.
    static let superuser = "postgres"
    private let databases = Atomic<Int>(0)

    /// Whether Debian's PostgreSQL 15 server is installed (scripts/install-deps installs it).
    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: binaries + "/postgres") && getpwnam("postgres") != nil
    }

    private static let started = StartedOnce<PostgresServer>("postgres")
    private static let dedicatedCount = Atomic<Int>(0)
    /// The running postmaster, and how to start it again (`restart`).
    private let server: Mutex<Process?>
    private let command: [String]

    public static func shared() throws -> PostgresServer {
        try started.get { try PostgresServer(directory: try TemporaryDirectory.forThisProcess("slipway-postgres")) }
    }

    /// A cluster of its own, for a test that stops or restarts the server (the shared one must
    /// stay up for every other test). It dies with the test process.
    public static func dedicated() throws -> PostgresServer {
        let n = dedicatedCount.add(1, ordering: .relaxed).newValue
        return try PostgresServer(directory: try TemporaryDirectory.forThisProcess("slipway-postgres-own") + "/\(n)")
    }

    private init(directory: String) throws {
        guard Self.available, let account = getpwnam("postgres") else {
            throw TestFailure("PostgreSQL 15 is not installed (\(Self.binaries)/postgres, user postgres): run scripts/install-deps")
        }
        let (uid, gid) = (account.pointee.pw_uid, account.pointee.pw_gid)
        // A directory the postgres user can reach: forThisProcess's parents are world-searchable.
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        let data = directory + "/data", passwordFile = directory + "/password"
        chmod(directory, 0o755)
        _ = FileManager.default.createFile(atPath: passwordFile, contents: Data((Self.password + "\n").utf8))
        chown(passwordFile, uid, gid)
        try? FileManager.default.removeItem(atPath: data)
        mkdir(data, 0o700)
        chown(data, uid, gid)
        let asPostgres = ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--reset-env"]
        try Program.output(asPostgres[0], Array(asPostgres.dropFirst()) + [
            Self.binaries + "/initdb", "-D", data, "-U", Self.superuser, "--pwfile=" + passwordFile,
            "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        ], directory: directory, timeout: .seconds(120))
        // TLS with a self-signed certificate for 127.0.0.1 (clients that verify trust `certificate`).
        try Program.output("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                                "-keyout", directory + "/server.key", "-out", directory + "/server.crt", "-days", "7",
                                                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        chown(directory + "/server.key", uid, gid)
        chmod(directory + "/server.key", 0o600)
        // TCP on loopback only (no Unix socket); durability off: a test cluster is thrown
        // away, and fsyncs on a shared CI disk cost.
        command = asPostgres + [
            Self.binaries + "/postgres", "-D", data, "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=32MB",
            "-c", "ssl=on", "-c", "ssl_cert_file=\(directory)/server.crt", "-c", "ssl_key_file=\(directory)/server.key",
        ]
        server = Mutex(nil)
        var failure = "PostgreSQL did not start; see \(directory)"
        for _ in 0..<3 {
            let probe = try Loopback.listener(backlog: nil)
            close(probe.fd)
            if let process = try Self.launch(command, port: probe.port, directory: directory, failure: &failure) {
                port = probe.port
                server.withLock { $0 = process }
                try psql("postgres", "CREATE ROLE \(Self.user) LOGIN CREATEDB PASSWORD '\(Self.password)'", as: Self.superuser)
                return
            }
        }
        throw TestFailure(failure)
    }

    /// Starts the postmaster on `port` and waits until it accepts sign-ins; nil (with the
    /// reason in `failure`) if it did not.
    private static func launch(_ command: [String], port: Int, directory: String, failure: inout String) throws -> Process? {
        let log = directory + "/postgres-\(port).log"
        let process = try launchServer(command + ["-p", String(port)], log: log)
        if awaitListening(process, port: port, seconds: 30) {
            // Listening comes before accepting sign-ins ("the database system is starting up").
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let out = try? Program.run(binaries + "/pg_isready", ["-h", "127.0.0.1", "-p", String(port), "-t", "5"])
                if out?.status == 0 { return process }
                usleep(50_000)
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        failure = "PostgreSQL did not start on port \(port): " + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        return nil
    }

    /// Stops the server as an administrator's restart does (a fast shutdown: every session is
    /// ended, open transactions roll back), keeps it down for `downFor`, and starts it again
    /// on the same port. Only for a `dedicated()` server.
    public func restart(downFor: Duration) throws {
        try server.withLock { running in
            if let running {
                kill(running.processIdentifier, SIGINT)
                // Down once it removed its pid file (Process.waitUntilExit does not return for a
                // server started through launchServer's shell).
                let pidFile = directory + "/data/postmaster.pid", deadline = Date().addingTimeInterval(60)
                while FileManager.default.fileExists(atPath: pidFile) {
                    guard Date() < deadline else { throw TestFailure("PostgreSQL did not shut down in 60 s; see \(directory)") }
                    usleep(20_000)
                }
            }
            running = nil
            usleep(UInt32(downFor.components.seconds * 1_000_000 + downFor.components.attoseconds / 1_000_000_000_000))
            var failure = ""
            guard let process = try Self.launch(command, port: port, directory: directory, failure: &failure) else {
                throw TestFailure(failure)
            }
            running = process
        }
    }

    /// The server's self-signed TLS certificate (PEM), for `sslrootcert`.
    public var certificate: String { directory + "/server.crt" }

    /// A new, empty database owned by `slipway`, named for this test process and a counter.
    public func makeDatabase() throws -> String {
        let name = "slipway_\(getpid())_\(databases.add(1, ordering: .relaxed).newValue)"
        try psql("postgres", "CREATE DATABASE \(name) OWNER \(Self.user)", as: Self.superuser)
        return name
    }

    /// `postgres://slipway:PASSWORD@127.0.0.1:PORT/DATABASE`.
    public func url(_ database: String, user: String = PostgresServer.user, password: String = PostgresServer.password) -> String {
        "postgres://\(user):\(password)@127.0.0.1:\(port)/\(database)"
    }

    /// Runs SQL with psql, signed in as `user`: a connection that is not Slipway's. Returns
    /// the rows unaligned, one a line, columns separated by `|`.
    @discardableResult
    public func psql(_ database: String, _ sql: String, as user: String = PostgresServer.user) throws -> String {
        try Program.output(Self.binaries + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port),
                                                     "-U", user, "-d", database, "-c", sql],
                           environment: ["PGPASSWORD": Self.password, "PGCONNECT_TIMEOUT": "10"], timeout: .seconds(60))
    }
}
