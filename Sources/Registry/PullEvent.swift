import Images
import SlipwayCore

/// What a pull reports as it goes, for a progress display.
public enum PullEvent: Sendable {
    /// The reference resolved to this image manifest; `layers` is how many it has.
    case resolved(manifest: Digest, platform: String, layers: Int)
    /// Layer `index` (0-based, bottom first) is already in the store.
    case layerPresent(index: Int, digest: Digest)
    /// Layer `index` started downloading; `size` from the manifest.
    case layerStarted(index: Int, digest: Digest, size: Int64)
    /// Bytes of layer `index` received so far.
    case layerProgress(index: Int, received: Int64)
    /// Layer `index` is unpacked and verified.
    case layerDone(index: Int)
    /// Layer `index` failed and is tried again.
    case layerRetry(index: Int, reason: String)
}

/// What a pull did.
public struct PullResult: Sendable, Encodable {
    public var image: ImageRecord
    /// The tag pointed at the same manifest as last time: nothing was fetched beyond it.
    public var upToDate: Bool
    /// Layers downloaded now, and layers the store already had.
    public var downloadedLayers: Int
    public var presentLayers: Int
    /// Bytes received for layers.
    public var downloadedBytes: Int64
    /// HTTP requests sent (auth and redirects included).
    public var requests: Int
}
