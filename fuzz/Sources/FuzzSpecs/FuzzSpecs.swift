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

// SwiftPM links executables with `main` aliased to `<module>_main`, which -parse-as-library
// never emits; so that symbol is defined here and hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzSpecs_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}
