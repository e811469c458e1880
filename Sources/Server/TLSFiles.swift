import Foundation
import NIOSSL
import SlipwayCore

/// `slipway serve --tls-cert FILE --tls-key FILE`: a PEM certificate chain (the server's
/// certificate first, then intermediates) and its PEM private key, read once at start.
/// TLS 1.2 at least; HTTP/1.1 over it.
public enum TLSFiles {
    /// nil without either file; both or neither must be given.
    public static func configuration(certificate: String?, key: String?) throws -> TLSConfiguration? {
        switch (certificate, key) {
        case (nil, nil): return nil
        case (let certificate?, let key?): return try configuration(certificate: certificate, key: key)
        case (nil, _?): throw SlipwayError.badInput("--tls-key needs --tls-cert (the certificate chain it belongs to)")
        case (_?, nil): throw SlipwayError.badInput("--tls-cert needs --tls-key (the certificate's private key)")
        }
    }

    public static func configuration(certificate: String, key: String) throws -> TLSConfiguration {
        for (flag, file) in [("--tls-cert", certificate), ("--tls-key", key)] where !FileManager.default.isReadableFile(atPath: file) {
            throw SlipwayError.badInput("\(flag) \(file): " + (FileManager.default.fileExists(atPath: file) ? "cannot be read" : "no such file"))
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw SlipwayError.badInput("--tls-cert \(certificate): not a PEM certificate (-----BEGIN CERTIFICATE-----)", cause: error)
        }
        guard !chain.isEmpty else {
            throw SlipwayError.badInput("--tls-cert \(certificate): holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw SlipwayError.badInput("--tls-key \(key): not a PEM private key (-----BEGIN PRIVATE KEY-----), or it is encrypted", cause: error)
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw SlipwayError.badInput("--tls-key \(key) does not match the certificate in --tls-cert \(certificate)", cause: error)
        }
        return configuration
    }
}
