import Foundation
import SlipwayCore

/// Reads the helper's stdout, stderr and report pipes until all three reach EOF, which happens
/// only when every process of the sandbox is gone (they share the write ends).
struct OutputPump {
    let stdout: Int32
    let stderr: Int32
    let report: Int32

    func run(output: (OutputLine) -> Void, report consume: (String) -> Void) {
        var descriptors = [stdout, stderr, report].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var buffers = [LineBuffer(), LineBuffer(), LineBuffer()]
        let streams: [OutputLine.Stream?] = [.stdout, .stderr, nil]
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var open = descriptors.count
        while open > 0 {
            if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in descriptors.indices where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                let lines: [String]
                if n <= 0 {
                    lines = buffers[index].finish().map { [$0] } ?? []
                    Syscall.close(descriptors[index].fd)
                    descriptors[index].fd = -1
                    open -= 1
                } else {
                    lines = chunk.withUnsafeBytes { buffers[index].append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                }
                for line in lines {
                    if let stream = streams[index] { output(OutputLine(stream: stream, text: line)) } else { consume(line) }
                }
            }
        }
        // Only a failed poll (ENOMEM) leaves the loop with pipes open: they are this pump's.
        for pipe in descriptors where pipe.fd >= 0 { Syscall.close(pipe.fd) }
    }
}
