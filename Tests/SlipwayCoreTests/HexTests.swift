import Testing
import SlipwayCore
import SlipwayTestSupport

@Suite(.tags(.small)) struct HexTests {
    @Test func everyByteIsTwoLowercaseDigits() {
        let all = Hex.encode((0...255).map { UInt8($0) })
        #expect(all.count == 512)
        #expect(all.hasPrefix("000102030405060708090a0b0c0d0e0f10") && all.hasSuffix("fafbfcfdfeff"))
        #expect(Hex.encode([]) == "")
        #expect(SHA256Stream.hex(of: .init("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
