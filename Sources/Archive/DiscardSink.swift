/// A sink that drops the bytes: hashing a tree without storing it.
public final class DiscardSink: ByteSink {
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws {}
    public func finish() throws {}
}
