import CZstd
import Glibc
import SlipwayCore

/// Streaming zstd decompression (any number of frames, skippable ones included), with the
/// frame checksums libzstd verifies; a stream that stops inside a frame is an error.
final class ZstdStreamDecoder {
    private let dctx: OpaquePointer
    private let out: UnsafeMutableRawBufferPointer
    private let source: String
    /// Whether the last call ended exactly on a frame boundary.
    private var atFrameEnd = true

    init(source: String) throws {
        guard let dctx = ZSTD_createDCtx() else { throw SlipwayError.system(call: "ZSTD_createDCtx", errno: ENOMEM) }
        self.dctx = dctx
        self.source = source
        out = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(dctx)
        out.deallocate()
    }

    /// Decodes `input` completely, handing each decoded block to `body`; `atEnd` says no
    /// input follows.
    func decode(_ input: UnsafeRawBufferPointer, atEnd: Bool, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while inBuffer.pos < inBuffer.size {
            var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
            let hint = try checked(ZSTD_decompressStream(dctx, &outBuffer, &inBuffer))
            if outBuffer.pos > 0 { try body(UnsafeRawBufferPointer(rebasing: out[0..<outBuffer.pos])) }
            atFrameEnd = hint == 0
        }
        // Output still held in the context once the input is used up.
        while !atFrameEnd {
            var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
            var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
            let hint = try checked(ZSTD_decompressStream(dctx, &outBuffer, &empty))
            atFrameEnd = hint == 0
            if outBuffer.pos == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: out[0..<outBuffer.pos]))
        }
        if atEnd && !atFrameEnd {
            throw SlipwayError.badInput("\(source): truncated zstd data (the stream ends inside a frame)")
        }
    }

    /// libzstd's hint, or the error it names.
    private func checked(_ hint: Int) throws -> Int {
        guard ZSTD_isError(hint) == 0 else {
            throw SlipwayError.badInput("\(source): damaged zstd data (\(String(cString: ZSTD_getErrorName(hint))))")
        }
        return hint
    }
}
