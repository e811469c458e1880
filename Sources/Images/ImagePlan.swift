import SlipwayCore

/// What an import found in its input: the image's identity and the layers to apply, bottom
/// first, each with the digests it must have.
struct ImagePlan {
    struct Layer {
        /// Path of the blob inside the bundle directory.
        var path: String
        /// SHA-256 of the blob as stored, when the format records it.
        var digest: Digest?
        /// SHA-256 of the uncompressed tar (the config's `diff_ids` entry).
        var diffID: Digest?
    }

    var format: ImageFormat
    /// SHA-256 of the image config (Docker's image ID): the same image imported as an
    /// OCI layout or a `docker save` tarball gets the same digest and shares one unpacked tree.
    var digest: Digest
    var layers: [Layer]
    var environment: [String]?
}

/// The kind of input an image was imported from.
public enum ImageFormat: String, Codable, Sendable {
    case rootfsTarball = "rootfs-tarball"
    case ociLayout = "oci-layout"
    case dockerSave = "docker-save"
    /// Pulled from an OCI registry (`slipway image pull`).
    case registry
}
