import Glibc

/// libarchive converts entry names between UTF-8 (pax headers, Swift strings) and the
/// process's LC_CTYPE charset (ustar fields). A Swift process that never called setlocale is
/// in the "C" locale, where any non-ASCII name fails that conversion (and libarchive 3.6
/// crashes writing it). Archive work sets LC_CTYPE to C.UTF-8 once, first: names pass
/// through unchanged, and the bytes written do not depend on the user's locale.
enum ArchiveLocale {
    static let utf8: Void = {
        if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "C.utf8") }
    }()
}
