import Foundation
import PulseCommon
import Synchronization

/// The web dashboard: static files from `Hub/Web` (plain HTML, CSS and JavaScript modules, no build step), served
/// for every GET/HEAD path the route table does not know outside `/api/` and `/download/`. A path naming a file
/// serves it; a path without a file extension serves `index.html`, so the app's own routes (`/hosts/abc`,
/// `/settings/tokens`) load the app; a missing file with an extension is a 404 (never HTML where a script was asked
/// for).
public struct WebAppHandlers: Sendable {
    /// Where the dashboard is looked up, in order; the first holding `index.html` is used.
    let directories: [String]
    let cache: WebAssetCache

    public init(directories: [String], cache: WebAssetCache = WebAssetCache()) {
        self.directories = directories
        self.cache = cache
    }

    /// The policy for the app's pages: scripts, styles, images and connections from this origin only; no inline
    /// script or style, no `eval`, no plugins, no framing.
    public static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; "
        + "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
        + "form-action 'self'; frame-ancestors 'none'"

    /// `PULSE_WEB_DIR`, then `web/` next to the hub's executable (and `../share/pulse/web`), `/opt/pulse/web`, and
    /// `<cwd>/Hub/Web` (a source checkout).
    static func defaultDirectories(environment: [String: String]) -> [String] {
        var directories: [String] = []
        if let configured = environment["PULSE_WEB_DIR"], !configured.isEmpty { directories.append(configured) }
        if let executable = DownloadHandlers.executableDirectory {
            directories += [executable + "/web", executable + "/../share/pulse/web"]
        }
        directories += ["/opt/pulse/web", FileManager.default.currentDirectoryPath + "/Hub/Web"]
        return directories
    }

    /// Media types by extension; anything else is served as bytes.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8", "json": "application/json", "map": "application/json",
        "webmanifest": "application/manifest+json", "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon",
        "txt": "text/plain; charset=utf-8", "woff2": "font/woff2",
    ]

    static func contentType(for path: String) -> String {
        let name = (path as NSString).lastPathComponent
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        return contentTypes[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }

    static func isCompressible(_ contentType: String) -> Bool {
        contentType.hasPrefix("text/") || contentType.hasPrefix("application/json")
            || contentType.hasPrefix("application/manifest+json") || contentType.hasPrefix("image/svg+xml")
    }

    /// The route-table handler for the app fallback.
    public func serve(_ context: RequestContext) throws -> HTTPResponse {
        let request = context.request
        guard let root = directories.first(where: { Self.isRegularFile($0 + "/index.html") }) else {
            throw APIError.notFound("web_dashboard_missing",
                                    "The web dashboard is not installed on this hub: put the project's Hub/Web directory next to pulse-hub as web/, or set PULSE_WEB_DIR")
        }
        guard let path = Self.resolve(request.path, root: root) else {
            throw APIError.notFound("file_not_found", "No such file: \(request.path)")
        }
        return try fileResponse(path: path, request: request)
    }

    /// The file for a request path under `root`: the file itself, `index.html` for directories and extensionless
    /// app routes, nil for hidden names and missing files with an extension.
    static func resolve(_ requestPath: String, root: String) -> String? {
        let segments = requestPath.split(separator: "/", omittingEmptySubsequences: true)
        // Hidden files (`.git`, `.env`) are never served; `..` never reaches here (the router refuses it).
        guard !segments.contains(where: { $0.hasPrefix(".") || $0.contains("\\") }) else { return nil }
        let relative = segments.joined(separator: "/")
        if !relative.isEmpty {
            let candidate = root + "/" + relative
            if isRegularFile(candidate), isInside(candidate, root: root) { return candidate }
            if isRegularFile(candidate + "/index.html"), isInside(candidate, root: root) { return candidate + "/index.html" }
            if let last = segments.last, last.contains(".") { return nil }
        }
        return root + "/index.html"
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether `path`, with symbolic links resolved, stays inside `root`.
    static func isInside(_ path: String, root: String) -> Bool {
        guard let real = realpath(path, nil), let realRoot = realpath(root, nil) else { return false }
        defer {
            free(real)
            free(realRoot)
        }
        let resolved = String(cString: real), base = String(cString: realRoot)
        return resolved == base || resolved.hasPrefix(base.hasSuffix("/") ? base : base + "/")
    }

    /// A file with `ETag` / `Last-Modified` validation (304), `Cache-Control: no-cache` (file names carry no
    /// version, so the browser revalidates every time and gets a 304 while nothing changed) and gzip when the client
    /// accepts it. The identity body is sent straight from the file.
    func fileResponse(path: String, request: HTTPRequest) throws -> HTTPResponse {
        let type = Self.contentType(for: path)
        let compressible = Self.isCompressible(type)
        let useGzip = compressible && Self.acceptsGzip(request.header("Accept-Encoding"))
        guard let asset = cache.asset(at: path, gzip: useGzip) else { throw APIError.notFound("file_not_found", "No such file") }
        let gzipped = useGzip ? asset.gzip : nil
        let etag = gzipped == nil ? asset.etag : String(asset.etag.dropLast()) + "-gz\""
        var response = HTTPResponse(status: 200)
        response.setHeader("Content-Type", type)
        response.setHeader("ETag", etag)
        response.setHeader("Last-Modified", HTTPConditional.format(asset.modified))
        response.setHeader("Cache-Control", "no-cache")
        response.setHeader("Content-Security-Policy", Self.contentSecurityPolicy)
        if compressible { response.setHeader("Vary", "Accept-Encoding") }
        if HTTPConditional.notModified(request, etag: etag, modified: asset.modified) {
            response.status = 304
            return response
        }
        if let gzipped {
            response.setHeader("Content-Encoding", "gzip")
            response.body = gzipped
        } else {
            response.file = FileBody(path: path, offset: 0, length: asset.size)
        }
        return response
    }

    /// Whether `Accept-Encoding` lists gzip (or `*`) with a non-zero quality.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingWhitespace().lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }
}

/// Per-file version tags and gzip bodies, recomputed when a file's size or modification time changes (edit the
/// files in place and the next request sees them).
public final class WebAssetCache: Sendable {
    public struct Asset: Sendable {
        public let size: UInt64
        public let modified: Date
        /// `"<32 hex of SHA-256>"`.
        public let etag: String
        public let gzip: [UInt8]?
    }

    private struct Entry {
        let size: UInt64
        let modifiedNanoseconds: Int
        let etag: String
        var gzip: [UInt8]?
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// Files above this are served uncompressed (the dashboard's files are a few KiB each).
    static let gzipLimit = 8 << 20
    static let maximumEntries = 1024

    public init() {}

    /// The file's version and, when `gzip` is asked and the file is small enough, its compressed body.
    public func asset(at path: String, gzip wantGzip: Bool) -> Asset? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let size = UInt64(info.st_size)
        let nanoseconds = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
        let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec))
        var entry = entries.withLock { $0[path] }
        if entry == nil || entry?.size != size || entry?.modifiedNanoseconds != nanoseconds {
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            entry = Entry(size: UInt64(data.count), modifiedNanoseconds: nanoseconds,
                          etag: "\"" + Crypto.sha256(Array(data)).hexString.prefix(32) + "\"", gzip: nil)
            if wantGzip, data.count <= Self.gzipLimit { entry?.gzip = Gzip.compress(Array(data)) }
        } else if wantGzip, entry?.gzip == nil, size <= UInt64(Self.gzipLimit),
                  let data = FileManager.default.contents(atPath: path) {
            entry?.gzip = Gzip.compress(Array(data))
        }
        guard let entry else { return nil }
        entries.withLock { entries in
            if entries.count >= Self.maximumEntries, entries[path] == nil { entries.removeAll() }
            entries[path] = entry
        }
        return Asset(size: entry.size, modified: modified, etag: entry.etag, gzip: wantGzip ? entry.gzip : nil)
    }
}
