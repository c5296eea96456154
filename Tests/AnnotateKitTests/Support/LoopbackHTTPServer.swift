import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small real HTTP/1.1 server on 127.0.0.1 (an ephemeral port) for fakes of remote APIs.
/// One connection per request (`Connection: close`); each is handled on its own Dispatch thread,
/// so slow answers do not hold up others.
final class LoopbackHTTPServer: @unchecked Sendable {
    struct Request {
        var method: String
        var path: String
        var query: String
        /// Lower-cased names.
        var headers: [String: String]
        var body: Data
    }

    struct Response {
        var status: Int
        var headers: [String: String] = ["Content-Type": "application/json"]
        var body: Data
        /// Wait this long before answering.
        var delay: TimeInterval = 0

        static func json(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> Response {
            var response = Response(status: status, body: try! JSONSerialization.data(withJSONObject: object))
            response.headers.merge(headers) { $1 }
            return response
        }
    }

    let port: UInt16
    var baseURL: String { "http://127.0.0.1:\(port)" }
    private let listener: Int32
    private let handler: @Sendable (Request) -> Response

    init(handler: @escaping @Sendable (Request) -> Response) throws {
        self.handler = handler
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 256) == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            close(listener)
            throw POSIXError(code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        self.listener = listener
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    private let stopLock = NSLock()
    private var stopped = false

    /// Stops accepting; connections in progress finish. Only wakes the accept loop, which closes
    /// the descriptor itself once it no longer uses it: closed here, the number could go to a new
    /// server's socket while the loop was about to call accept again, and this server would
    /// then answer that one's requests (seen: a Gemini fake answering an OpenAI test).
    func stop() {
        stopLock.withLock {
            guard !stopped else { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    deinit { stop() }

    private var isStopped: Bool { stopLock.withLock { stopped } }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR && !isStopped { continue }
                return
            }
            if isStopped {
                close(connection)
                return
            }
            DispatchQueue.global().async { [self] in serve(connection) }
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        func readMore() -> Bool {
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        let separator = Data("\r\n\r\n".utf8)
        while buffer.range(of: separator) == nil { guard readMore() else { return } }
        let headerEnd = buffer.range(of: separator)!
        let head = String(decoding: buffer[..<headerEnd.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["expect"]?.lowercased() == "100-continue" { send(fd, Data("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Data(buffer[headerEnd.upperBound...])
        while body.count < length {
            let before = buffer.count
            guard readMore() else { return }
            body.append(buffer[before...])
        }
        let target = String(requestLine[1])
        let parts = target.split(separator: "?", maxSplits: 1)
        let request = Request(
            method: String(requestLine[0]), path: String(parts[0]),
            query: parts.count > 1 ? String(parts[1]) : "", headers: headers, body: body)
        let response = handler(request)
        if response.delay > 0 { usleep(useconds_t(response.delay * 1_000_000)) }
        var text = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        send(fd, Data((text + "\r\n").utf8) + response.body)
    }

    private func send(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    private static func reason(_ status: Int) -> String {
        [
            200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable",
        ][status] ?? "Status"
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
func unusedLoopbackPort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) } }
    return UInt16(bigEndian: address.sin_port)
}
