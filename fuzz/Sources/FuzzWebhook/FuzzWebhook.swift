import Foundation
import Webhooks

/// One input: the bytes as a push delivery's body, decoded and acted on as the webhook route
/// does once the signature checked out (branch, repository names, actor), and as a delivery
/// id header's value. A refusal is the expected outcome; a crash or a hang is the finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(UnsafeBufferPointer(start: data, count: size))
    if let push = try? PushEvent.decode(body) {
        _ = push.action
        _ = push.actor
        _ = push.repositoryNames
    }
    _ = DeliveryID.validated(String(decoding: body.prefix(256), as: UTF8.self))
    return 0
}

// SwiftPM links executables with `main` aliased to `<module>_main`, which -parse-as-library
// never emits; so that symbol is defined here and hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzWebhook_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}
