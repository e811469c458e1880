import Foundation

/// Three real registries (Debian's `docker-registry`, the CNCF distribution registry) on
/// 127.0.0.1, started once per test process and SIGKILLed when it exits:
///
/// - `plain`: plain HTTP, no auth (pull it as an insecure registry);
/// - `tls`: HTTPS with a certificate from a CA made here (`caFile`) and htpasswd Basic auth
///   (`user` / `password`);
/// - `token`: plain HTTP with `auth: token`, its realm the `TokenIssuer` (anonymous pulls
///   outside `private/`, `reader` for everything).
///
/// Images are pushed with `skopeo copy` from OCI layouts the tests make.
public final class RegistryServers: Sendable {
    public let plain: String
    public let tls: String
    public let token: String
    public let caFile: String
    public let issuer: TokenIssuer
    public let directory: String

    public static let user = "slipway"
    public static let password = "basic-registry-secret"

    /// Whether the registry and skopeo are installed (scripts/install-deps puts them there).
    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/skopeo")
    }

    private static let started = StartedOnce<RegistryServers>("the registries")

    /// The registries of this test process, started on first use.
    public static func shared() throws -> RegistryServers {
        try started.get { try RegistryServers() }
    }

    private init() throws {
        let d = try TemporaryDirectory.forThisProcess("slipway-registries")
        directory = d
        // A CA and a server certificate for 127.0.0.1 signed by it; an htpasswd file (bcrypt).
        try Program.output("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key",
                                                "-out", d + "/ca.crt", "-days", "3", "-subj", "/CN=slipway test CA"])
        try Program.output("/usr/bin/openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server.key",
                                                "-out", d + "/server.csr", "-subj", "/CN=127.0.0.1"])
        try Data("subjectAltName=IP:127.0.0.1,DNS:localhost\n".utf8).write(to: URL(fileURLWithPath: d + "/san.ext"))
        try Program.output("/usr/bin/openssl", ["x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
                                                "-CAcreateserial", "-out", d + "/server.crt", "-days", "3", "-extfile", d + "/san.ext"])
        let caFile = d + "/ca.crt"
        self.caFile = caFile
        try Program.output("/usr/bin/htpasswd", ["-Bbc", d + "/htpasswd", Self.user, Self.password])
        let issuer = try TokenIssuer(directory: d)
        self.issuer = issuer

        plain = try Self.start(name: "plain", directory: d) { _ in "" }
        tls = try Self.start(name: "tls", directory: d) { _ in
            """
              tls:
                certificate: \(d)/server.crt
                key: \(d)/server.key
            auth:
              htpasswd:
                realm: slipway-test
                path: \(d)/htpasswd
            """
        }
        token = try Self.start(name: "token", directory: d) { _ in
            """
            auth:
              token:
                realm: \(issuer.realm)
                service: \(TokenIssuer.service)
                issuer: \(TokenIssuer.issuer)
                rootcertbundle: \(issuer.certificateFile)
            """
        }
    }

    /// Writes a config (storage under `directory/name`, `extra` after `http.addr`), starts the
    /// registry on a free port and waits until it accepts connections.
    private static func start(name: String, directory: String, extra: (Int) -> String) throws -> String {
        for _ in 0..<5 {
            let port = Int.random(in: 20000...60000)
            let config = """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: \(directory)/\(name)-storage
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:\(port)
                \(extra(port))

                """
            let file = "\(directory)/\(name).yml"
            try Data(config.utf8).write(to: URL(fileURLWithPath: file))
            let process = try launchServer(["/usr/bin/docker-registry", "serve", file], log: "\(directory)/\(name).log")
            let pid = process.processIdentifier
            if awaitListening(process, port: port, seconds: 5) { return "127.0.0.1:\(port)" }
            kill(pid, SIGKILL)
        }
        let log = (try? String(contentsOfFile: "\(directory)/\(name).log", encoding: .utf8)) ?? ""
        throw TestFailure("the \(name) registry did not start:\n\(log)")
    }

    /// Pushes the image of an OCI layout (its `index.json` entry tagged `tag`, an image or an
    /// index) to `destination` (`registry/name:tag`) with skopeo; `all` keeps every platform.
    public func push(layout: String, tag: String = "latest", to destination: String) throws {
        var arguments = ["--insecure-policy", "copy", "--quiet", "--all"]
        if destination.hasPrefix(tls) {
            try makeCertDirectory()
            arguments += ["--dest-cert-dir", directory + "/certs", "--dest-creds", "\(Self.user):\(Self.password)"]
        } else if destination.hasPrefix(token) {
            arguments += ["--dest-tls-verify=false", "--dest-creds", "pusher:\(TokenIssuer.pusherPassword)"]
        } else {
            arguments += ["--dest-tls-verify=false"]
        }
        arguments += ["oci:\(layout):\(tag)", "docker://\(destination)"]
        try Program.output("/usr/bin/skopeo", arguments)
    }

    private func makeCertDirectory() throws {
        let certs = directory + "/certs"
        if FileManager.default.fileExists(atPath: certs + "/ca.crt") { return }
        try FileManager.default.createDirectory(atPath: certs, withIntermediateDirectories: true)
        try? FileManager.default.copyItem(atPath: caFile, toPath: certs + "/ca.crt")
    }
}
