/// The parts of the OCI image spec (and Docker's archive format) an import reads. Unknown
/// fields are ignored; missing required ones are errors that name the file and the field.

/// A content descriptor: what a manifest or an index says about a blob.
struct OCIDescriptor: Decodable {
    var mediaType: String?
    var digest: String
    var size: Int64?
    var platform: OCIPlatform?
}

struct OCIPlatform: Decodable {
    var architecture: String
    var os: String
    var variant: String?
}

/// `index.json` of a layout, or a multi-platform image index blob.
struct OCIIndex: Decodable {
    var schemaVersion: Int?
    var mediaType: String?
    var manifests: [OCIDescriptor]
}

/// An image manifest: the config blob and the layers, bottom first.
struct OCIManifest: Decodable {
    var schemaVersion: Int?
    var mediaType: String?
    var config: OCIDescriptor
    var layers: [OCIDescriptor]
}

/// The image configuration: the layers' uncompressed digests and how to run the image.
struct OCIImageConfig: Decodable {
    struct RootFS: Decodable {
        var type: String
        var diffIDs: [String]

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }

    struct RunConfig: Decodable {
        var Env: [String]?
        var WorkingDir: String?
        var User: String?
    }

    var architecture: String?
    var os: String?
    var rootfs: RootFS
    var config: RunConfig?
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
