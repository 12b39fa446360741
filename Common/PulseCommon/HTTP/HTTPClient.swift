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
    /// Aborts the transfer when the body grows past this many bytes (downloads with a cap).
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
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Performs a request and waits for the whole response.
    public func perform(_ request: HTTPClientRequest) throws(HTTPClientError) -> HTTPClientResponse {
        curl_easy_reset(handle)
        let sink = ResponseSink()
        sink.limit = request.maxResponseBytes ?? Int.max
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

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
        var resolveList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(resolveList) }
        if !request.resolve.isEmpty {
            for entry in request.resolve { resolveList = curl_slist_append(resolveList, entry) }
            ccurl_setopt_slist(handle, CURLOPT_RESOLVE, resolveList)
            // Never hand the connection to an environment proxy: the checked address must be the one dialled.
            ccurl_setopt_str(handle, CURLOPT_NOPROXY, "*")
        }
        let pin = request.pinnedCertificateSHA256.map(CertificatePin.init)
        if let pin {
            // OpenSSL calls `verifyPinnedCertificate` instead of its chain verification, during the handshake,
            // before anything (the token) is sent. A resumed TLS session would skip it: no session cache.
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
            ccurl_setopt_long(handle, CURLOPT_SSL_SESSIONID_CACHE, 0)
            ccurl_setopt_sslctxfn(handle, CURLOPT_SSL_CTX_FUNCTION, curlInstallPin)
            ccurl_setopt_ptr(handle, CURLOPT_SSL_CTX_DATA, Unmanaged.passUnretained(pin).toOpaque())
        }
        defer { withExtendedLifetime(pin) {} }

        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        // libcurl adds "Expect: 100-continue" for large bodies, costing a round trip: suppress it.
        headerList = curl_slist_append(headerList, "Expect:")
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)

        let method = request.method.uppercased()
        let code: CURLcode
        if let body = request.body {
            code = body.withUnsafeBufferPointer { buffer in
                ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE_LARGE, buffer.count)
                ccurl_setopt_ptr(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!))
                if method != "POST" { ccurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method) }
                return curl_easy_perform(handle)
            }
        } else {
            switch method {
            case "GET": break
            case "HEAD": ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
            default: ccurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method)
            }
            code = curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            if sink.exceeded {
                throw HTTPClientError(code: Int(code.rawValue), message: "the response is larger than \(sink.limit) bytes")
            }
            if let actual = pin?.mismatch {
                throw HTTPClientError(code: Int(code.rawValue), message: "the server's TLS certificate (SHA-256 "
                                      + "\(actual)) does not match the pinned fingerprint")
            }
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw HTTPClientError(code: Int(code.rawValue), message: message)
        }
        var status = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPClientResponse(status: status, headers: sink.headers, body: sink.body)
    }
}

/// Collects a response as curl delivers it.
private final class ResponseSink {
    var body: [UInt8] = []
    var headers: [(String, String)] = []
    var limit = Int.max
    var exceeded = false
}

private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard sink.body.count + length <= sink.limit else {
        sink.exceeded = true
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
