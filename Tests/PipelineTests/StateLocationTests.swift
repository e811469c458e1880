import SlipwayCore
import State
import Testing

/// `--database` values: what they name, and that no message ever shows the password.
@Suite(.tags(.small)) struct StateLocationTests {
    @Test func postgresURLsAndSQLitePathsParse() throws {
        #expect(try StateLocation(parsing: "postgres://ci:s%40cret@db.internal:6432/slipway")
                == .postgres(PostgresEndpoint(host: "db.internal", port: 6432, user: "ci", password: "s@cret", database: "slipway")))
        #expect(try StateLocation(parsing: "postgresql://ci@127.0.0.1/state")
                == .postgres(PostgresEndpoint(host: "127.0.0.1", port: 5432, user: "ci", password: nil, database: "state")))
        #expect(try StateLocation(parsing: "postgres://ci@db/state?sslmode=verify-full&sslrootcert=/etc/ssl/db.pem")
                == .postgres(PostgresEndpoint(host: "db", user: "ci", password: nil, database: "state",
                                              tls: .verifyFull(rootCertificate: "/etc/ssl/db.pem"))))
        #expect(try StateLocation(parsing: "postgres://ci@db/state?sslmode=require")
                == .postgres(PostgresEndpoint(host: "db", user: "ci", password: nil, database: "state", tls: .require)))
        #expect(try StateLocation(parsing: "sqlite:/var/lib/slipway/state.sqlite") == .sqlite(path: "/var/lib/slipway/state.sqlite"))
        #expect(try StateLocation(parsing: "/srv/state.sqlite") == .sqlite(path: "/srv/state.sqlite"))
        #expect(try StateLocation(parsing: "postgres://ci:s%40cret@db.internal:6432/slipway").description == "postgres://ci@db.internal:6432/slipway")
    }

    @Test(arguments: [
        ("postgres://ci:hunter2@/slipway", "no host"),
        ("postgres://db.internal/slipway", "no user"),
        ("postgres://ci:hunter2@db.internal:5432", "no database"),
        ("postgres://ci:hunter2@db.internal:5432/a/b", "no database"),
        ("postgres://ci:hunter2@db.internal/slipway?application_name=x", "'application_name' is not supported"),
        ("postgres://ci:hunter2@db.internal/slipway?sslmode=prefer", "sslmode 'prefer' is not supported"),
        ("postgres://ci:hunter2@db.internal/slipway?sslmode=require&sslrootcert=/ca.pem", "sslrootcert needs sslmode=verify-full"),
        ("mysql://ci:hunter2@db.internal/slipway", "unknown kind 'mysql'"),
        ("state.sqlite", "absolute path"),
        ("sqlite:", "no path"),
    ])
    func badValuesAreBadInputWithoutThePassword(_ text: String, _ reason: String) {
        let error = #expect(throws: SlipwayError.self) { try StateLocation(parsing: text) }
        #expect(error?.kind == .badInput)
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("hunter2") == false, "\(error?.description ?? "")")
    }
}
