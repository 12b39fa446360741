/// The one thing the health server reads from a request: its request line. Pure, for table tests.
enum HealthRequest {
    /// The paths served.
    enum Endpoint: String, Sendable, CaseIterable {
        case healthz = "/healthz"
        case readyz = "/readyz"
        case metrics = "/metrics"
    }

    /// What to answer.
    enum Outcome: Equatable, Sendable {
        case serve(Endpoint)
        /// An error status: 400 malformed, 404 unknown path, 405 not GET, 431 head too large.
        case reject(Int)
    }

    /// The request head's size cap.
    static let maximumHeadBytes = 8 * 1024

    /// Whether `bytes` hold a whole request head (up to the blank line).
    static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        var index = 1
        while index < bytes.count {
            if bytes[index] == 10 {
                if bytes[index - 1] == 10 { return index + 1 }
                if index >= 3 && bytes[index - 1] == 13 && bytes[index - 2] == 10 { return index + 1 }
            }
            index += 1
        }
        return nil
    }

    /// Classifies a request from its head: `METHOD SP target SP HTTP/1.x` (the query string is ignored).
    static func classify(_ head: [UInt8]) -> Outcome {
        guard let lineEnd = head.firstIndex(of: 10) else { return .reject(400) }
        var line = head[..<lineEnd]
        if line.last == 13 { line = line.dropLast() }
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts[0].allSatisfy({ $0 >= 65 && $0 <= 90 }), !parts[0].isEmpty,
              parts[2].starts(with: Array("HTTP/1.".utf8)), parts[2].count == 8,
              parts[1].first == 47 /* "/" */ || parts[1].elementsEqual("*".utf8) else {
            return .reject(400)
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = parts[1].prefix(while: { $0 != 63 /* "?" */ && $0 != 35 /* "#" */ })
        let path = String(decoding: target, as: UTF8.self)
        guard let endpoint = Endpoint(rawValue: path) else { return .reject(404) }
        guard method == "GET" else { return .reject(405) }
        return .serve(endpoint)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        default: "Error"
        }
    }

    /// A whole response with `Connection: close`.
    static func response(status: Int, body: String, contentType: String = "text/plain; charset=utf-8") -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason(status))\r\n"
        head += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n"
        if status == 405 { head += "Allow: GET\r\n" }
        head += "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        return Array((head + body).utf8)
    }
}
