import Foundation
import SlipwayCore
import SlipwayTestSupport
import Synchronization

/// Debian's Chromium, headless, driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: commands on fd 3, replies on fd 4, each JSON message ending
/// in a NUL byte), so no websocket client is needed.
final class HeadlessChromium: Sendable {
    /// The browser binary; nil when the `chromium` package is not installed.
    static let binary: String? = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// One browser for the whole test run (tabs are cheap, starting Chromium is not); it is
    /// killed when the test process exits.
    static func shared() throws -> HeadlessChromium {
        try sharedBrowser.withLock { browser in
            if let browser { return browser }
            let started = try HeadlessChromium()
            browser = started
            sharedPID.store(started.process.processIdentifier, ordering: .relaxed)
            atexit { kill(sharedPID.load(ordering: .relaxed), SIGKILL) }
            return started
        }
    }

    private let process: Process
    private let commands: FileHandle
    private let scratch: TemporaryDirectory
    private var directory: String { scratch.path }
    private let nextID = Mutex(0)
    private let pending = Mutex<[Int: CheckedContinuation<Data, any Error>]>([:])

    init() throws {
        guard let binary = Self.binary else { throw SlipwayError.notFound("chromium is not installed") }
        scratch = try TemporaryDirectory("slipway-chromium")
        let directory = scratch.path
        let toBrowser = directory + "/to-browser", fromBrowser = directory + "/from-browser"
        guard mkfifo(toBrowser, 0o600) == 0, mkfifo(fromBrowser, 0o600) == 0 else { throw SlipwayError.system("mkfifo") }
        // Read-write, so this open does not wait for the browser to open the other end.
        let commandFD = open(toBrowser, O_RDWR | O_CLOEXEC)
        guard commandFD >= 0 else { throw SlipwayError.system("open \(toBrowser)") }
        commands = FileHandle(fileDescriptor: commandFD, closeOnDealloc: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", #"exec "$0" "$@" 3<"$TO_BROWSER" 4>"$FROM_BROWSER""#, binary,
                             "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--remote-debugging-pipe", "--user-data-dir=\(directory)/profile", "--window-size=1280,1000",
                             "about:blank"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["TO_BROWSER": toBrowser, "FROM_BROWSER": fromBrowser]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let thread = Thread { [self] in readReplies(fromBrowser) }
        thread.start()
    }

    /// Sends one command and waits for its reply's `result`.
    func send(_ method: String, _ params: [String: Any] = [:], session: String? = nil,
              timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let id = nextID.withLock { $0 += 1; return $0 }
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0)
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.resolve(id, with: .failure(SlipwayError.failed("chromium did not answer \(method) within \(timeout)")))
        }
        defer { timer.cancel() }
        let reply = try await withCheckedThrowingContinuation { continuation in
            pending.withLock { $0[id] = continuation }
            commands.write(data)
        }
        let object = try JSONSerialization.jsonObject(with: reply) as? [String: Any] ?? [:]
        if let error = object["error"] as? [String: Any] {
            throw SlipwayError.failed("chromium: \(method): \(error["message"] ?? error)")
        }
        return object["result"] as? [String: Any] ?? [:]
    }

    func close() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private func resolve(_ id: Int, with result: Result<Data, any Error>) {
        pending.withLock { $0.removeValue(forKey: id) }?.resume(with: result)
    }

    /// Runs on its own thread: blocking reads must not hold a Swift concurrency thread.
    private func readReplies(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { if fd >= 0 { Glibc.close(fd) } }
        var buffer = Data()
        var block = [UInt8](repeating: 0, count: 1 << 16)
        while fd >= 0 {
            let n = read(fd, &block, block.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            buffer.append(contentsOf: block[0..<n])
            while let end = buffer.firstIndex(of: 0) {
                let message = buffer[buffer.startIndex..<end]
                buffer = Data(buffer[(end + 1)...])
                if let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any], let id = object["id"] as? Int {
                    resolve(id, with: .success(Data(message)))
                }
            }
        }
        let waiting = pending.withLock { state in defer { state = [:] }; return state }
        waiting.values.forEach { $0.resume(throwing: SlipwayError.failed("chromium closed its DevTools pipe")) }
    }
}

private let sharedBrowser = Mutex<HeadlessChromium?>(nil)
private let sharedPID = Atomic<Int32>(0)

/// One tab, attached with a flat session.
struct BrowserPage {
    let browser: HeadlessChromium
    let session: String
    let target: String

    static func open(_ browser: HeadlessChromium, url: String) async throws -> BrowserPage {
        let target = try await browser.send("Target.createTarget", ["url": "about:blank"])
        let attached = try await browser.send("Target.attachToTarget", ["targetId": target["targetId"] as? String ?? "", "flatten": true])
        let page = BrowserPage(browser: browser, session: attached["sessionId"] as? String ?? "", target: target["targetId"] as? String ?? "")
        try await page.navigate(url)
        return page
    }

    /// Closes the tab (the browser stays).
    func close() async {
        _ = try? await browser.send("Target.closeTarget", ["targetId": target])
    }

    /// The viewport as a phone (`mobile`) or a desktop of that width would have it.
    func resize(width: Int, height: Int = 900) async throws {
        _ = try await browser.send("Emulation.setDeviceMetricsOverride",
                                   ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600], session: session)
    }

    /// How far the page scrolls sideways (0 when it fits its width).
    func horizontalOverflow() async throws -> Int {
        try await evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") as? Int ?? -1
    }

    func navigate(_ url: String) async throws {
        _ = try await browser.send("Page.navigate", ["url": url], session: session)
        try await waitFor("document.readyState === 'complete' && location.href === \(jsString(url))")
    }

    /// The value of a JavaScript expression (awaited when it is a promise).
    @discardableResult
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await browser.send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true],
                                            session: session)
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw SlipwayError.failed("page script failed: \(exception["text"] ?? "")")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Polls a JavaScript condition until it holds.
    func waitFor(_ condition: String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await evaluate("!!(\(condition))")) as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SlipwayError.failed("timed out waiting for \(condition) on \(try await evaluate("location.href") ?? "?")")
    }

    /// A real mouse click (pressed and released) at the middle of the element.
    func click(_ selector: String) async throws {
        try await waitFor("document.querySelector(\(jsString(selector)))")
        let box = try await evaluate("""
            (() => { const e = document.querySelector(\(jsString(selector))); e.scrollIntoView({block: 'center'});
                     const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()
            """) as? [Double] ?? []
        guard box.count == 2 else { throw SlipwayError.failed("no box for \(selector)") }
        for type in ["mousePressed", "mouseReleased"] {
            _ = try await browser.send("Input.dispatchMouseEvent",
                                       ["type": type, "x": box[0], "y": box[1], "button": "left", "clickCount": 1], session: session)
        }
    }

    /// Types text into the focused element, as a keyboard would.
    func type(_ text: String, into selector: String) async throws {
        try await click(selector)
        _ = try await browser.send("Input.insertText", ["text": text], session: session)
    }

    /// A page still laying out (just after a navigation) has no size yet and Chromium refuses
    /// to capture it: such a refusal is tried again for a few seconds.
    func screenshot(to path: String) async throws {
        var attempt = 0
        var shot: [String: Any] = [:]
        while true {
            do {
                shot = try await browser.send("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true], session: session)
                break
            } catch where "\(error)".contains("0 width") && attempt < 25 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        guard let data = Data(base64Encoded: shot["data"] as? String ?? "") else { throw SlipwayError.failed("no screenshot data") }
        try makeDirectories((path as NSString).deletingLastPathComponent)
        try data.write(to: URL(fileURLWithPath: path))
    }

    private func jsString(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }
}
