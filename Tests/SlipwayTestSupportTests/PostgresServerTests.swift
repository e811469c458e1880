import Foundation
import SlipwayTestSupport
import Testing

/// The test PostgreSQL server: one per test process, run by the unprivileged `postgres` user,
/// on 127.0.0.1 only, signing in by password, a fresh database per test.
@Suite(.tags(.medium)) struct PostgresServerTests {
    @Test func oneServerRunsUnprivilegedOnLoopbackWithPasswordsAndFreshDatabases() throws {
        let server = try PostgresServer.shared()
        #expect(try PostgresServer.shared() === server)
        let (first, second) = (try server.makeDatabase(), try server.makeDatabase())
        #expect(first != second)
        try server.psql(first, "CREATE TABLE only_here (x INT)")
        #expect(try server.psql(second, "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'only_here'").hasPrefix("0"))
        #expect(try server.psql(first, "SELECT current_user").hasPrefix(PostgresServer.user))
        #expect(try server.psql(first, "SHOW listen_addresses").hasPrefix("127.0.0.1"))
        #expect(try server.psql(first, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").hasPrefix("f"))
        // The server process belongs to the postgres user, not root.
        let owner = try Program.output("/bin/sh", ["-c", "ps -o user= -C postgres | sort -u"])
        #expect(owner.split(separator: "\n").contains("postgres") && !owner.contains("root"), "\(owner)")
        let refused = try Program.run(PostgresServer.binaries + "/psql", ["-X", "-h", "127.0.0.1", "-p", String(server.port), "-U", PostgresServer.user,
                                                                          "-d", first, "-c", "SELECT 1"],
                                      environment: ["PGPASSWORD": "wrong"])
        #expect(refused.status != 0 && refused.stderr.contains("password authentication failed"), "\(refused)")
    }
}
