import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct DirectoryNamesTests {
    @Test func namesLeaveOutDotEntriesAndFollowNoLink() throws {
        let scratch = try TemporaryDirectory("slipway-names")
        try scratch.write("a", "1")
        try scratch.directory("sub/inner")
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/link", withDestinationPath: "sub")
        #expect(try Syscall.directoryNames(scratch.path).sorted() == ["a", "link", "sub"])
        #expect(try Syscall.directoryNames(scratch.path + "/sub") == ["inner"])
    }

    @Test func listingAnOpenDirectoryLeavesItsOffsetAlone() throws {
        let scratch = try TemporaryDirectory("slipway-names")
        for name in ["x", "y", "z"] { try scratch.write(name, name) }
        let fd = open(scratch.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        let first = try Syscall.directoryNames(of: fd, name: scratch.path)
        #expect(first.sorted() == ["x", "y", "z"])
        #expect(try Syscall.directoryNames(of: fd, name: scratch.path) == first, "a second listing of the same descriptor sees everything again")
    }

    @Test func aMissingDirectoryIsASystemErrorNamingIt() {
        #expect {
            try Syscall.directoryNames("/nonexistent/slipway-names")
        } throws: { error in
            (error as? SlipwayError)?.description.contains("open /nonexistent/slipway-names") == true
        }
    }
}
