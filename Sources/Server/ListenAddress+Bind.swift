import Foundation
import SlipwayCore

extension ListenAddress {
    /// Binds a throwaway socket to the address (with SO_REUSEADDR, as the server does) and
    /// closes it, so that a taken port, an address no interface has or a privileged port is
    /// said plainly before anything starts. Host names are left to the server's own bind.
    public func checkAvailable() throws {
        var v4 = sockaddr_in(), v6 = sockaddr_in6()
        let family: Int32
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            family = AF_INET
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
        } else if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            family = AF_INET6
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
        } else {
            return
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SlipwayError.system("socket for --listen \(self)") }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = family == AF_INET
            ? withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            : withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        guard bound != 0 else { return }
        switch errno {
        case EADDRINUSE: throw PortOwner.inUseError(self)
        case EADDRNOTAVAIL: throw SlipwayError.badInput("--listen \(self): no network interface of this machine has the address \(host)")
        case EACCES: throw SlipwayError.badInput("--listen \(self): ports below 1024 need root (or CAP_NET_BIND_SERVICE)")
        default: throw SlipwayError.system("bind --listen \(self)")
        }
    }
}
