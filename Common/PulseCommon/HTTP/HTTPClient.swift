import CCurl
import COpenSSL
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An outgoing HTTP request.
public struct HTTPClientRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// Whole-request timeout.
    public var timeout: Duration
    /// Talk HTTP over this unix socket instead of TCP (Docker, Podman).
    public var unixSocketPath: String?
    /// Send the path exactly as given, without resolving `..` (tests of path handling).
    public var pathAsIs: Bool
    /// Skip TLS certificate verification.
    public var insecureSkipVerify: Bool
    /// A PEM bundle of trusted CAs.
    public var caFile: String?
    /// Accept only a server certificate whose DER encoding has this SHA-256 (checked during the handshake, before
    /// anything is sent); replaces chain verification.
    public var pinnedCertificateSHA256: [UInt8]?
    /// Fixes where a host name connects (`host:port:address`, libcurl's `CURLOPT_RESOLVE`), so a name checked
    /// once cannot resolve somewhere else for the connection (DNS rebinding).
    public var resolve: [String] = []
    /// Trusted CAs as PEM bytes (a kubeconfig's `certificate-authority-data`), instead of or besides `caFile`.
    public var caPEM: [UInt8]?
    /// A client certificate for mutual TLS: a PEM file, or PEM bytes (`client-certificate-data`).
    public var clientCertificateFile: String?
    public var clientCertificatePEM: [UInt8]?
    /// The client certificate's private key: a PEM file, or PEM bytes (`client-key-data`).
    public var clientKeyFile: String?
    public var clientKeyPEM: [UInt8]?
    /// Refuse a response body larger than this (hostile or broken peers); `nil` for no limit.
    public var maxResponseBytes: Int?

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                timeout: Duration = .seconds(15), unixSocketPath: String? = nil, pathAsIs: Bool = false,
                insecureSkipVerify: Bool = false, caFile: String? = nil, pinnedCertificateSHA256: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.unixSocketPath = unixSocketPath
        self.pathAsIs = pathAsIs
        self.insecureSkipVerify = insecureSkipVerify
        self.caFile = caFile
        self.pinnedCertificateSHA256 = pinnedCertificateSHA256
    }
}

/// A received HTTP response.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    /// Header names lowercased, in arrival order.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first(where: { $0.0 == lowered })?.1
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A transport failure (no HTTP status was received).
public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    /// libcurl's result code.
    public let code: Int
    public let message: String
    public var description: String { "HTTP request failed (\(code)): \(message)" }

    /// libcurl's "timeout reached".
    public var isTimeout: Bool { code == 28 }
    /// The body went over `maxResponseBytes`.
    public var isOversized: Bool { code == Self.oversizedCode }
    /// The code used for a body over `maxResponseBytes` (libcurl's write error).
    public static let oversizedCode = 23

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }
}

/// A blocking HTTP/1.1 client over libcurl; the only file that imports it.
///
/// One instance owns one curl easy handle, so connections are kept alive between requests. An instance is not
/// thread-safe: use one per thread. Redirects are never followed (a 301 turning a POST into a GET hides errors).
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init() {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        releaseMulti()
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Performs a request and waits for the whole response.
    public func perform(_ request: HTTPClientRequest) throws(HTTPClientError) -> HTTPClientResponse {
        curl_easy_reset(handle)
        let prepared = Prepared(handle: handle, request: request, errorBuffer: errorBuffer)
        defer { prepared.release() }
        return try prepared.finish(curl_easy_perform(handle)).get()
    }

    /// Performs several requests at once over libcurl's multi interface, at most `maxConcurrent` in flight (each
    /// with its own timeout, counted from when it starts), and returns their results in the order given. One
    /// slow peer endpoint never holds up the others beyond its own timeout.
    public func performConcurrently(_ requests: [HTTPClientRequest],
                                    maxConcurrent: Int = 8) -> [Result<HTTPClientResponse, HTTPClientError>] {
        guard !requests.isEmpty else { return [] }
        if multi == nil { multi = curl_multi_init() }
        guard let multi else {
            return requests.map { _ in .failure(HTTPClientError(code: 27, message: "curl_multi_init failed")) }
        }
        var results = [Result<HTTPClientResponse, HTTPClientError>?](repeating: nil, count: requests.count)
        var active: [UnsafeMutableRawPointer: (index: Int, prepared: Prepared)] = [:]
        var next = 0
        let limit = max(1, maxConcurrent)
        while next < requests.count || !active.isEmpty {
            while next < requests.count && active.count < limit {
                let easy = spareHandles.popLast() ?? curl_easy_init()
                guard let easy else {
                    results[next] = .failure(HTTPClientError(code: 27, message: "curl_easy_init failed"))
                    next += 1
                    continue
                }
                curl_easy_reset(easy)
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
                buffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
                let prepared = Prepared(handle: easy, request: requests[next], errorBuffer: buffer, ownsBuffer: true)
                curl_multi_add_handle(multi, easy)
                active[easy] = (next, prepared)
                next += 1
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let entry = active.removeValue(forKey: easy) else { continue }
                results[entry.index] = entry.prepared.finish(ccurl_msg_result(message))
                curl_multi_remove_handle(multi, easy)
                entry.prepared.release()
                spareHandles.append(easy)
            }
            if !active.isEmpty { curl_multi_poll(multi, nil, 0, 200, nil) }
        }
        return results.map { $0 ?? .failure(HTTPClientError(code: 27, message: "request not run")) }
    }

    private var multi: UnsafeMutableRawPointer?
    private var spareHandles: [UnsafeMutableRawPointer] = []

    private func releaseMulti() {
        for easy in spareHandles { curl_easy_cleanup(easy) }
        if let multi { curl_multi_cleanup(multi) }
    }
}

/// One request configured on an easy handle, and what must outlive the transfer.
private final class Prepared {
    let handle: UnsafeMutableRawPointer
    let sink: ResponseSink
    let errorBuffer: UnsafeMutablePointer<CChar>
    let ownsBuffer: Bool
    var headerList: UnsafeMutablePointer<curl_slist>?
    var resolveList: UnsafeMutablePointer<curl_slist>?
    let pin: CertificatePin?

    init(handle: UnsafeMutableRawPointer, request: HTTPClientRequest, errorBuffer: UnsafeMutablePointer<CChar>,
         ownsBuffer: Bool = false) {
        self.handle = handle
        self.errorBuffer = errorBuffer
        self.ownsBuffer = ownsBuffer
        sink = ResponseSink(limit: request.maxResponseBytes)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()

        ccurl_setopt_str(handle, CURLOPT_URL, request.url)
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeout.milliseconds))
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(min(request.timeout.milliseconds, 10_000)))
        ccurl_setopt_long(handle, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        errorBuffer[0] = 0
        ccurl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        ccurl_setopt_datafn(handle, CURLOPT_WRITEFUNCTION, curlWriteBody)
        ccurl_setopt_ptr(handle, CURLOPT_WRITEDATA, sinkPointer)
        ccurl_setopt_datafn(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader)
        ccurl_setopt_ptr(handle, CURLOPT_HEADERDATA, sinkPointer)
        if let socket = request.unixSocketPath { ccurl_setopt_str(handle, CURLOPT_UNIX_SOCKET_PATH, socket) }
        if request.pathAsIs { ccurl_setopt_long(handle, CURLOPT_PATH_AS_IS, 1) }
        if request.insecureSkipVerify {
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let caFile = request.caFile { ccurl_setopt_str(handle, CURLOPT_CAINFO, caFile) }
        if let pem = request.caPEM { pem.withUnsafeBytes { _ = ccurl_setopt_blob(handle, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) } }
        if let file = request.clientCertificateFile { ccurl_setopt_str(handle, CURLOPT_SSLCERT, file) }
        if let pem = request.clientCertificatePEM {
            pem.withUnsafeBytes { _ = ccurl_setopt_blob(handle, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) }
        }
        if let file = request.clientKeyFile { ccurl_setopt_str(handle, CURLOPT_SSLKEY, file) }
        if let pem = request.clientKeyPEM {
            pem.withUnsafeBytes { _ = ccurl_setopt_blob(handle, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) }
        }
        if request.clientCertificateFile != nil || request.clientCertificatePEM != nil {
            ccurl_setopt_str(handle, CURLOPT_SSLCERTTYPE, "PEM")
        }
        if !request.resolve.isEmpty {
            for entry in request.resolve { resolveList = curl_slist_append(resolveList, entry) }
            ccurl_setopt_slist(handle, CURLOPT_RESOLVE, resolveList)
            // Never hand the connection to an environment proxy: the checked address must be the one dialled.
            ccurl_setopt_str(handle, CURLOPT_NOPROXY, "*")
        }
        pin = request.pinnedCertificateSHA256.map(CertificatePin.init)
        if let pin {
            // OpenSSL calls `verifyPinnedCertificate` instead of its chain verification, during the handshake,
            // before anything (the token) is sent. A resumed TLS session would skip it: no session cache.
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
            ccurl_setopt_long(handle, CURLOPT_SSL_SESSIONID_CACHE, 0)
            ccurl_setopt_sslctxfn(handle, CURLOPT_SSL_CTX_FUNCTION, curlInstallPin)
            ccurl_setopt_ptr(handle, CURLOPT_SSL_CTX_DATA, Unmanaged.passUnretained(pin).toOpaque())
        }

        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        // libcurl adds "Expect: 100-continue" for large bodies, costing a round trip: suppress it.
        headerList = curl_slist_append(headerList, "Expect:")
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)

        let method = request.method.uppercased()
        if let body = request.body {
            // curl copies the body, so the transfer may outlive this call (multi interface).
            ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE_LARGE, body.count)
            body.withUnsafeBufferPointer { buffer in
                let pointer = UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                _ = ccurl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, pointer)
            }
            if method != "POST" { ccurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method) }
        } else {
            switch method {
            case "GET": break
            case "HEAD": ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
            default: ccurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method)
            }
        }
    }

    /// The outcome once libcurl reports `code` for this transfer.
    func finish(_ code: CURLcode) -> Result<HTTPClientResponse, HTTPClientError> {
        guard code == CURLE_OK else {
            if let actual = pin?.mismatch {
                return .failure(HTTPClientError(code: Int(code.rawValue), message: "the server's TLS certificate "
                                                + "(SHA-256 \(actual)) does not match the pinned fingerprint"))
            }
            if sink.overflowed, let limit = sink.limit {
                return .failure(HTTPClientError(code: HTTPClientError.oversizedCode,
                                                message: "response body larger than \(limit) bytes"))
            }
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return .failure(HTTPClientError(code: Int(code.rawValue), message: message))
        }
        var status = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPClientResponse(status: status, headers: sink.headers, body: sink.body))
    }

    /// Frees the lists (and the error buffer when owned); the handle itself is kept for reuse.
    func release() {
        curl_slist_free_all(headerList)
        curl_slist_free_all(resolveList)
        headerList = nil
        resolveList = nil
        ccurl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil)
        if ownsBuffer { errorBuffer.deallocate() }
        withExtendedLifetime(pin) {}
    }
}

/// Collects a response as curl delivers it.
private final class ResponseSink {
    var body: [UInt8] = []
    var headers: [(String, String)] = []
    let limit: Int?
    var overflowed = false
    init(limit: Int?) { self.limit = limit }
}

private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if let limit = sink.limit, sink.body.count + length > limit {
        sink.overflowed = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) { sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
    return length
}

private func curlWriteHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
    }
    if line.hasPrefix("HTTP/") {
        sink.headers.removeAll()  // a new response (after 100 Continue): start over
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingWhitespace().lowercased()
        let value = line[line.index(after: colon)...].trimmingWhitespace()
        sink.headers.append((name, value))
    }
    return length
}

extension Duration {
    /// Whole milliseconds.
    public var milliseconds: Int64 {
        let parts = components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}

/// A certificate pin for one `perform`, and what the server presented when it did not match.
private final class CertificatePin {
    let sha256: [UInt8]
    var mismatch: String?
    init(_ sha256: [UInt8]) { self.sha256 = sha256 }
}

/// `CURLOPT_SSL_CTX_FUNCTION`: called for each new TLS connection; routes certificate verification to the pin.
private func curlInstallPin(_ curl: UnsafeMutableRawPointer?, _ sslContext: UnsafeMutableRawPointer?,
                            _ pin: UnsafeMutableRawPointer?) -> CURLcode {
    guard let sslContext, let pin else { return CURLE_SSL_CERTPROBLEM }
    SSL_CTX_set_cert_verify_callback(OpaquePointer(sslContext), verifyPinnedCertificate, pin)
    return CURLE_OK
}

/// Replaces OpenSSL's chain verification: accept exactly the pinned leaf certificate.
private func verifyPinnedCertificate(_ store: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let store, let argument, let leaf = X509_STORE_CTX_get0_cert(store) else { return 0 }
    let pin = Unmanaged<CertificatePin>.fromOpaque(argument).takeUnretainedValue()
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    guard X509_digest(leaf, EVP_sha256(), &digest, &length) == 1 else { return 0 }
    let actual = Array(digest.prefix(Int(length)))
    if Crypto.constantTimeEqual(actual, pin.sha256) { return 1 }
    pin.mismatch = actual.hexString
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
    return 0
}
