import Foundation
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// `--database postgres://…` (and $SLIPWAY_DATABASE) on the real binary: `slipway serve` and
/// the commands that read or write the state use the database, bad URLs and passwords are
/// bad input naming host and user (never the password), an unreachable server is retried
/// with backoff, a newer schema is refused, and `slipway state migrate` copies a SQLite
/// installation over.
@Suite(.tags(.medium)) struct DatabaseCommandTests {
    static func record(_ n: Int) -> RunRecord {
        RunRecord(id: 0, pipeline: "site", status: .succeeded, trigger: Trigger(.cli, actor: "ada"),
                  commit: CommitInfo(id: String(format: "%040x", n), author: "Ada", time: Date(), message: "change \(n)"),
                  created: Date(), started: Date(), finished: Date(),
                  stages: [StageRecord(name: "build", kind: .build, status: .succeeded, started: Date(), finished: Date())])
    }

    /// The test server, a fresh database on it, and `slipway` on a fresh home.
    static func setUp(_ label: String) throws -> (PostgresServer, String, TemporaryDirectory, SlipwayCommand) {
        let server = try PostgresServer.shared()
        let directory = try TemporaryDirectory(label)
        return (server, try server.makeDatabase(), directory, SlipwayCommand(home: directory.home.path))
    }

    /// The schema version this Slipway makes (that of an empty store in memory).
    static func knownVersion() async throws -> Int {
        try await StateStore(path: "/nonexistent/state.sqlite", readOnly: true).schemaVersion().known
    }

    /// How many migrations a PostgreSQL database lists as applied.
    static func migrations(_ server: PostgresServer, _ database: String) throws -> Int? {
        Int(try server.psql(database, "SELECT COUNT(*) FROM schema_migrations").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The run ids of `slipway runs --json`.
    static func ids(_ json: String) -> [Int64]? {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])?.compactMap { ($0["id"] as? NSNumber)?.int64Value }
    }

    @Test func serveAndTheOtherCommandsKeepTheStateInPostgres() async throws {
        let server = try PostgresServer.shared()
        let database = try server.makeDatabase()
        let url = server.url(database)
        let directory = try TemporaryDirectory("slipway-pg-serve")
        let serve = try await ServeProcess.start(home: directory.home.path, arguments: ["--listen", "127.0.0.1:0", "--database", url])
        defer { serve.kill9() }
        #expect(try Self.migrations(server, database) == (try await Self.knownVersion()))

        // A run another process recorded in the database; `slipway runs` and `logs` read it there.
        let store = try await StateStore.open(try StateLocation(parsing: url))
        let run = try await store.insertRun(Self.record(1), owner: nil).record
        try await store.appendLog(run: run.id, stage: "build", text: "built on another machine\n")
        let command = SlipwayCommand(home: directory.home.path, environment: ["SLIPWAY_DATABASE": url])
        let runs = try command.run(["runs", "--json"])
        #expect(runs.status == 0, "\(runs)")
        #expect(Self.ids(runs.stdout) == [run.id.rawValue])
        let logs = try command.run(["logs", String(run.id.rawValue)])
        #expect(logs.status == 0 && logs.stdout.contains("built on another machine"), "\(logs)")

        // A push a hook records goes to the database, and the service's poller takes it there.
        let notify = try command.run(["hook", "notify", "--repository", "/srv/git/site", "--branch", "main"])
        #expect(notify.status == 0, "\(notify)")
        _ = try await eventually("the service to take the push", timeout: .seconds(20)) { () -> Bool? in
            try server.psql(database, "SELECT handled FROM push").trimmingCharacters(in: .whitespacesAndNewlines) == "1" ? true : nil
        }
        #expect(!FileManager.default.fileExists(atPath: directory.home.path + "/state.sqlite"))
    }

    @Test func aWrongPasswordOrURLIsBadInputNamingHostAndUserNeverThePassword() async throws {
        let (server, database, directory, command) = try Self.setUp("slipway-pg-bad")
        let wrong = server.url(database, password: "not-the-secret-Zq9")
        for arguments in [["runs", "--database", wrong], ["serve", "--listen", "127.0.0.1:0", "--database", wrong]] {
            let out = try command.run(arguments, timeout: .seconds(60))
            #expect(out.status == 2, "\(out)")
            #expect(out.stderr.contains("127.0.0.1:\(server.port)") && out.stderr.contains("'slipway'") && out.stderr.contains("password"),
                    "\(out.stderr)")
            #expect(!out.stderr.contains("not-the-secret-Zq9") && !out.stdout.contains("not-the-secret-Zq9"))
        }
        let unknownUser = try command.run(["runs", "--database", server.url(database, user: "mallory")])
        #expect(unknownUser.status == 2 && unknownUser.stderr.contains("'mallory'"), "\(unknownUser)")
        let noDatabase = try command.run(["runs", "--database", server.url("no_such_database")])
        #expect(noDatabase.status == 2 && noDatabase.stderr.contains("no database 'no_such_database'"), "\(noDatabase)")

        for bad in ["postgres://slipway:hunter2-Xy@/\(database)", "postgres://127.0.0.1:\(server.port)/\(database)",
                    "postgres://slipway:hunter2-Xy@127.0.0.1:\(server.port)/", "mysql://slipway:hunter2-Xy@127.0.0.1/db"] {
            let out = try command.run(["runs"], environment: ["SLIPWAY_DATABASE": bad])
            #expect(out.status == 2 && out.stderr.contains("database") && !out.stderr.contains("hunter2-Xy"), "\(bad): \(out)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.home.path + "/state.sqlite"))
    }

    /// `sslmode=require` encrypts, `verify-full` also checks the certificate: against
    /// `sslrootcert` it connects, against the system's roots (which do not hold the test
    /// server's self-signed one) it is refused at once as bad input.
    @Test func tlsIsUsedAndVerifiedAsTheURLSays() async throws {
        let (server, database, home, command) = try Self.setUp("slipway-pg-tls")
        defer { withExtendedLifetime(home) {} }
        for query in ["sslmode=require", "sslmode=verify-full&sslrootcert=\(server.certificate)"] {
            let out = try command.run(["runs", "--database", server.url(database) + "?" + query])
            #expect(out.status == 0 && out.stdout.isEmpty, "\(query): \(out)")   // nothing written yet: no runs
            let audit = try command.run(["pipeline", "rm", "nothing", "--database", server.url(database) + "?" + query])
            #expect(audit.status == 2 && audit.stderr.contains("nothing"), "\(query): \(audit)")   // a writer: the schema is made
        }
        #expect(try Self.migrations(server, database) == (try await Self.knownVersion()))
        let started = ContinuousClock.now
        let unverified = try command.run(["runs", "--database", server.url(database) + "?sslmode=verify-full"], timeout: .seconds(60))
        #expect(unverified.status == 2 && unverified.stderr.contains("TLS failed") && unverified.stderr.contains("127.0.0.1:\(server.port)"),
                "\(unverified)")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func anUnreachableDatabaseIsRetriedWithBackoffThenFailsClearly() async throws {
        // A port that is bound but not listening: every connection is refused.
        let (fd, port) = try Loopback.listener(backlog: nil)
        defer { close(fd) }
        let directory = try TemporaryDirectory("slipway-pg-down")
        let started = ContinuousClock.now
        let out = try SlipwayCommand(home: directory.home.path).run(
            ["serve", "--listen", "127.0.0.1:0", "--database", "postgres://slipway:pw@127.0.0.1:\(port)/slipway"],
            environment: ["SLIPWAY_DATABASE_WAIT": "2"], timeout: .seconds(60))
        let took = ContinuousClock.now - started
        #expect(out.status == 1, "\(out)")
        let retries = out.stderr.components(separatedBy: "trying again in").count - 1
        #expect(retries >= 2 && out.stderr.contains("250 ms") && out.stderr.contains("500 ms"), "\(out.stderr)")
        #expect(out.stderr.contains("cannot reach the state database at 127.0.0.1:\(port) as user 'slipway'")
                && out.stderr.contains("gave up after"), "\(out.stderr)")
        #expect(took >= .seconds(1) && took < .seconds(30))
    }

    /// A database that comes up while `slipway serve` waits for it (here: a forwarder to the
    /// test server, whose port refuses connections for its first 1.5 s) is used once it answers.
    @Test func serveWaitsForADatabaseThatComesUpLate() async throws {
        let (server, database, directory, _) = try Self.setUp("slipway-pg-late")
        let forwarder = Process(), output = Pipe()
        forwarder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        forwarder.arguments = ["python3", "-c", Self.forwarder, String(server.port)]
        forwarder.standardInput = FileHandle.nullDevice
        forwarder.standardOutput = output
        forwarder.standardError = FileHandle.nullDevice
        try forwarder.run()
        defer { if forwarder.isRunning { kill(forwarder.processIdentifier, SIGKILL) } }
        try? output.fileHandleForWriting.close()
        // The port it holds, bound but not yet listening: connections are refused.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw TestFailure("the forwarder exited before naming its port") }
            line += chunk
        }
        let port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        let url = "postgres://\(PostgresServer.user):\(PostgresServer.password)@127.0.0.1:\(port)/\(database)"
        let serve = try await ServeProcess.start(home: directory.home.path, arguments: ["--listen", "127.0.0.1:0", "--database", url])
        defer { serve.kill9() }
        #expect(serve.printed.contains("cannot reach the state database at 127.0.0.1:\(port)") && serve.printed.contains("trying again in"),
                "\(serve.printed)")
        #expect(try Self.migrations(server, database) == (try await Self.knownVersion()))
    }

    /// A TCP forwarder to 127.0.0.1:ARGV1 on a port of its own, which it prints at once and
    /// listens on 1.5 s later.
    static let forwarder = """
        socket, threading, sys, time = map(__import__, ["socket", "threading", "sys", "time"])
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        print(listener.getsockname()[1], flush=True)
        time.sleep(1.5)
        listener.listen(16)
        def pipe(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    b.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        while True:
            client, _ = listener.accept()
            upstream = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        """

    @Test func aSchemaNewerThanTheBinaryIsRefusedWithBothVersions() async throws {
        let server = try PostgresServer.shared()
        let database = try server.makeDatabase()
        _ = try await StateStore.open(try StateLocation(parsing: server.url(database)))
        try server.psql(database, "INSERT INTO schema_migrations (identifier) VALUES ('v9-from-a-newer-slipway')")
        let directory = try TemporaryDirectory("slipway-pg-newer")
        for arguments in [["serve", "--listen", "127.0.0.1:0"], ["runs"]] {
            let out = try SlipwayCommand(home: directory.home.path).run(arguments + ["--database", server.url(database)], timeout: .seconds(60))
            #expect(out.status == 1, "\(out)")
            let known = try await Self.knownVersion()
            #expect(out.stderr.contains("schema version \(known + 1), newer than this Slipway's \(known)")
                    && out.stderr.contains("v9-from-a-newer-slipway"),
                    "\(out.stderr)")
        }
    }

    @Test func stateMigrateCopiesASQLiteInstallationAndSaysWhat() async throws {
        let directory = try TemporaryDirectory("slipway-pg-migrate")
        let source = try StateStore(home: directory.home)
        try await source.savePipeline(PipelineRow(name: "site", repository: "/srv/git/site", branch: "main", targets: [], definition: Data("{}".utf8)))
        var ids: [RunID] = []
        for n in 1...3 {
            let id = try await source.insertRun(Self.record(n), owner: nil).record.id
            try await source.appendLog(run: id, stage: "build", text: "run \(n)\n")
            try await source.audit(AuditEntry(actor: "ada", action: .trigger, pipeline: "site", run: id, detail: nil))
            ids.append(id)
        }
        let server = try PostgresServer.shared()
        let database = try server.makeDatabase()
        let command = SlipwayCommand(home: directory.home.path)
        let out = try command.run(["state", "migrate", "--from", "sqlite:" + directory.home.path + "/state.sqlite",
                                   "--to", server.url(database)])
        #expect(out.status == 0, "\(out)")
        #expect(out.stdout.contains("postgres://slipway@127.0.0.1:\(server.port)/\(database)") && !out.stdout.contains(PostgresServer.password))
        for (kind, count) in [("pipelines", 1), ("runs", 3), ("stages", 3), ("log chunks", 3), ("audit entries", 3), ("pushes", 0)] {
            #expect(out.stdout.range(of: "\(kind) +\(count)\n", options: .regularExpression) != nil, "\(kind): \(out.stdout)")
        }
        let copied = try command.run(["runs", "--json", "--database", server.url(database)])
        #expect(Self.ids(copied.stdout) == ids.reversed().map(\.rawValue), "\(copied)")
        let json = try command.run(["state", "migrate", "--to", server.url(database), "--json"])
        #expect(json.status == 2 && json.stderr.contains("is not empty"), "\(json)")
    }
}
