import AsyncHTTPClient
import Foundation
import NIOSSL
import Server
import SlipwayCore
import SlipwayTestSupport
import Testing

/// A test CA and a server certificate for localhost and 127.0.0.1, made by openssl.
struct TestCertificates {
    let directory: TemporaryDirectory
    var ca: String { directory.path + "/ca.pem" }
    var certificate: String { directory.path + "/server.pem" }
    var key: String { directory.path + "/server.key" }
    var otherKey: String { directory.path + "/other.key" }

    init() throws {
        directory = try TemporaryDirectory("slipway-tls")
        let dir = directory.path
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Program.output("/usr/bin/openssl", ["req", "-x509"] + ec + ["-keyout", dir + "/ca.key", "-out", dir + "/ca.pem",
                                                                       "-days", "2", "-subj", "/CN=Slipway Test CA"])
        try Program.output("/usr/bin/openssl", ["req"] + ec + ["-keyout", dir + "/server.key", "-out", dir + "/server.csr",
                                                              "-subj", "/CN=localhost"])
        try Data("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/ext.cnf"))
        try Program.output("/usr/bin/openssl", ["x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca.key",
                                                "-CAcreateserial", "-out", dir + "/server.pem", "-days", "2", "-extfile", dir + "/ext.cnf"])
        try Program.output("/usr/bin/openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                                "-out", dir + "/other.key"])
    }
}

@Suite(.tags(.medium)) struct TLSTests {
    @Test func servesHTTPSToCurlAndAsyncHTTPClient() async throws {
        let certs = try TestCertificates()
        let tls = try #require(try TLSFiles.configuration(certificate: certs.certificate, key: certs.key))
        let pipeline = MemoryPipeline()
        await pipeline.addRun(status: .succeeded)
        let live = try await LiveService.start(control: pipeline, tls: tls)
        do {
            #expect(live.base.hasPrefix("https://"))
            let (port, ca) = (live.port, certs.ca)
            for host in ["127.0.0.1", "localhost"] {
                let curl = try await offPool { try Program.run("/usr/bin/curl", ["-sS", "--max-time", "20", "--cacert", ca,
                                                                                 "https://\(host):\(port)/healthz"], timeout: .seconds(30)) }
                #expect(curl.stdout == "ok\n", "curl https://\(host): \(curl)")
            }
            let untrusted = try await offPool { try Program.run("/usr/bin/curl", ["-sS", "--max-time", "20", "https://127.0.0.1:\(port)/healthz"],
                                                                timeout: .seconds(30)) }
            #expect(untrusted.status != 0, "curl without the test CA refuses the certificate")
            let plain = try await offPool { try Program.run("/usr/bin/curl", ["-sS", "--max-time", "20", "http://127.0.0.1:\(port)/healthz"],
                                                            timeout: .seconds(30)) }
            #expect(plain.stdout != "ok\n", "plain HTTP is not served on the TLS port")

            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certs.ca))
            let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                    configuration: .init(tlsConfiguration: configuration, redirectConfiguration: .disallow))
            do {
                let runs = try await live.request(.GET, "/api/runs", client: client)
                #expect(runs.status == 200 && runs.text.contains(#""runs":[{"#))
                let login = try await live.request(.POST, "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                   body: Data("token=\(live.token)&next=%2F".utf8), client: client)
                #expect(login.status == 303)
                #expect(login.headers["set-cookie"]?.contains("Secure") == true, "the login cookie is HTTPS-only: \(login.headers)")
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        } catch {
            try? await live.stop()
            throw error
        }
        try await live.stop()
    }

    @Test func badFilesAreSaidPlainly() throws {
        let certs = try TestCertificates()
        #expect(try TLSFiles.configuration(certificate: nil, key: nil) == nil)
        let cases: [(String?, String?, String)] = [
            (certs.certificate, nil, "--tls-cert needs --tls-key"),
            (nil, certs.key, "--tls-key needs --tls-cert"),
            (certs.directory.path + "/missing.pem", certs.key, "missing.pem: no such file"),
            (certs.key, certs.key, "not a PEM certificate"),
            (certs.certificate, certs.certificate, "not a PEM private key"),
            (certs.certificate, certs.otherKey, "does not match the certificate"),
        ]
        for (certificate, key, message) in cases {
            let error = #expect(throws: SlipwayError.self) { try TLSFiles.configuration(certificate: certificate, key: key) }
            #expect(error?.kind == .badInput)
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        }
    }
}
