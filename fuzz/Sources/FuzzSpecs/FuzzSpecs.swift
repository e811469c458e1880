import Specs

/// One input: the bytes as text, parsed as every kind of spec. Diagnostics are the expected
/// outcome; a crash or a hang is the finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = SpecKind.detect(contents: text, file: "fuzz.yml")
    _ = BuildSpec.parse(contents: text, file: "buildspec.yml")
    _ = AppSpec.parse(contents: text, file: "appspec.yml")
    _ = PipelineSpec.parse(contents: text, file: "/fuzz/slipway.yml")
    return 0
}
