import Foundation

/// The parts of the OCI image spec (and Docker's archive format) an import or a pull reads. Unknown
/// fields are ignored; missing required ones are errors that name the file and the field.

/// A content descriptor: what a manifest or an index says about a blob.
public struct OCIDescriptor: Decodable, Sendable {
    public var mediaType: String?
    public var digest: String
    public var size: Int64?
    public var platform: OCIPlatform?
}

public struct OCIPlatform: Decodable, Sendable {
    public var architecture: String
    public var os: String
    public var variant: String?
}

/// `index.json` of a layout, or a multi-platform image index blob.
public struct OCIIndex: Decodable, Sendable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var manifests: [OCIDescriptor]
}

/// An image manifest: the config blob and the layers, bottom first.
public struct OCIManifest: Decodable, Sendable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
}

/// The image configuration: the layers' uncompressed digests and how to run the image.
public struct OCIImageConfig: Decodable, Sendable {
    public struct RootFS: Decodable, Sendable {
        public var type: String
        public var diffIDs: [String]

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }

    public struct RunConfig: Decodable, Sendable {
        public var Env: [String]?
        public var WorkingDir: String?
        public var User: String?
    }

    public var architecture: String?
    public var os: String?
    public var rootfs: RootFS
    public var config: RunConfig?
}

/// One entry of a `docker save` archive's `manifest.json`.
struct DockerArchiveEntry: Decodable {
    var Config: String
    var RepoTags: [String]?
    var Layers: [String]
}

/// `oci-layout`.
struct OCILayoutMarker: Decodable {
    var imageLayoutVersion: String
}

/// Decoding an image document (manifest, index, config) with errors that name the document
/// and the field, as imports report them.
public enum OCIDocument {
    public static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        try ImageBundle.decode(type, data, what: what)
    }
}
