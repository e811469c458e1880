import Foundation
import SlipwayCore

/// Where the state lives: a SQLite file (the embedded default, `<home>/state.sqlite`) or a
/// PostgreSQL database that several machines share (`--database`, `SLIPWAY_DATABASE`).
public enum StateLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresEndpoint)

    /// `sqlite:PATH` (or a plain path), `postgres://USER:PASS@HOST:PORT/DB` (`postgresql://` too).
    public init(parsing text: String) throws {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresEndpoint(parsing: text))
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw SlipwayError.badInput("database 'sqlite:': no path after 'sqlite:'") }
            self = .sqlite(path: path)
        } else if text.contains("://") {
            let scheme = text.prefix { $0 != ":" }
            throw SlipwayError.badInput("database '\(scheme)://…': unknown kind '\(scheme)'; use postgres://USER:PASS@HOST:PORT/DB or sqlite:PATH")
        } else if text.hasPrefix("/") {
            self = .sqlite(path: text)
        } else {
            throw SlipwayError.badInput("database '\(text)': not a postgres://USER:PASS@HOST:PORT/DB URL, sqlite:PATH or an absolute path")
        }
    }

    /// Says where, never with a password.
    public var description: String {
        switch self {
        case let .sqlite(path): "sqlite:\(path)"
        case let .postgres(endpoint): endpoint.description
        }
    }
}

/// A PostgreSQL database and the role that signs in to it.
public struct PostgresEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Whether the connection is encrypted, as libpq's `sslmode` names it.
    public enum TLSMode: Sendable, Equatable {
        /// Plain TCP (`sslmode=disable`, the default).
        case disable
        /// Encrypted, the server's certificate not checked (`sslmode=require`).
        case require
        /// Encrypted, the certificate checked against the system's roots or `rootCertificate`
        /// (a PEM file, `sslrootcert=PATH`) and the host name (`sslmode=verify-full`).
        case verifyFull(rootCertificate: String?)
    }

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String, tls: TLSMode = .disable) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// `postgres://USER[:PASS]@HOST[:PORT]/DB`; user and password percent-decoded. Errors show
    /// the URL with the password left out.
    public init(parsing text: String) throws {
        let shown = Self.redacted(text)
        func bad(_ reason: String) -> SlipwayError {
            .badInput("database URL \(shown): \(reason); expected postgres://USER:PASS@HOST:PORT/DB")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              ["postgres", "postgresql"].contains(scheme) else { throw bad("not a URL") }
        guard let host = components.host, !host.isEmpty else { throw bad("no host") }
        guard let user = components.user, !user.isEmpty else { throw bad("no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw bad("no database name after the host") }
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard ["sslmode", "sslrootcert"].contains(item.name) else {
                throw bad("parameter '\(item.name)' is not supported (only sslmode and sslrootcert are)")
            }
            parameters[item.name] = item.value ?? ""
        }
        let tls: TLSMode
        switch parameters["sslmode"] ?? "disable" {
        case "disable": tls = .disable
        case "require": tls = .require
        case "verify-full": tls = .verifyFull(rootCertificate: parameters["sslrootcert"])
        case let mode: throw bad("sslmode '\(mode)' is not supported (disable, require or verify-full)")
        }
        if parameters["sslrootcert"] != nil, tls == .disable || tls == .require {
            throw bad("sslrootcert needs sslmode=verify-full")
        }
        if let port = components.port, !(1...65535).contains(port) { throw bad("port \(port) out of range") }
        self.init(host: host, port: components.port ?? 5432, user: components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? user,
                  password: components.percentEncodedPassword.flatMap { $0.removingPercentEncoding },
                  database: database.removingPercentEncoding ?? database, tls: tls)
    }

    /// `postgres://user@host:port/db`: for messages and logs.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// `text` with whatever stands between `user:` and `@` replaced, for messages about a
    /// URL that did not parse.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", options: .backwards),
              at.lowerBound > scheme.upperBound else { return text }
        let credentials = text[scheme.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return text.replacingCharacters(in: colon..<at.lowerBound, with: ":***")
    }
}
