import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// The web dashboard's static serving: the app fallback, content types, validators, gzip, and the app's CSP.
@Suite struct WebAppTests {
    /// A hub whose `PULSE_WEB_DIR` is a temp directory holding a small app.
    final class Fixture {
        let web: String
        let hub: TestHub

        init() throws {
            web = NSTemporaryDirectory() + "pulse-web-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: web + "/js", withIntermediateDirectories: true)
            try Self.index.write(toFile: web + "/index.html", atomically: true, encoding: .utf8)
            try Self.script.write(toFile: web + "/js/app.js", atomically: true, encoding: .utf8)
            try "body{color:red}".write(toFile: web + "/app.css", atomically: true, encoding: .utf8)
            try "SECRET=1".write(toFile: web + "/.env", atomically: true, encoding: .utf8)
            hub = try TestHub(environment: ["PULSE_WEB_DIR": web])
        }

        deinit { try? FileManager.default.removeItem(atPath: web) }

        static let index = "<!doctype html><html><head><title>Pulse</title><script type=\"module\" src=\"/js/app.js\"></script></head><body></body></html>\n"
        static let script = String(repeating: "export const answer = 42; // padding so gzip has something to do\n", count: 40)

        func get(_ path: String, headers: [String: String] = [:]) -> HTTPResponse {
            hub.send("GET", path, headers: headers)
        }
    }

    /// The body, whether in memory or served from a file.
    static func body(_ response: HTTPResponse) -> [UInt8] {
        if let file = response.file, let data = FileManager.default.contents(atPath: file.path) {
            return Array(data[Int(file.offset)..<Int(file.offset + file.length)])
        }
        return response.body
    }

    @Test func rootAndAppRoutesServeIndexWithTheStrictPolicy() throws {
        let fixture = try Fixture()
        for path in ["/", "/hosts/abc-123", "/settings/tokens", "/login"] {
            let response = fixture.get(path)
            #expect(response.status == 200, "\(path): \(response.status)")
            #expect(response.header("Content-Type") == "text/html; charset=utf-8", "\(path)")
            #expect(String(decoding: Self.body(response), as: UTF8.self) == Fixture.index, "\(path)")
            let csp = try #require(response.header("Content-Security-Policy"), "\(path): no CSP")
            #expect(csp.contains("script-src 'self';"), "\(csp)")
            #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "\(csp)")
            #expect(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "\(csp)")
            #expect(response.header("Cache-Control") == "no-cache")
            #expect(response.header("ETag")?.hasPrefix("\"") == true)
            #expect(response.header("Last-Modified")?.hasSuffix("GMT") == true)
            #expect(response.header("X-Content-Type-Options") == "nosniff")
            #expect(response.header("X-Frame-Options") == "DENY")
        }
    }

    @Test func contentTypesByExtension() throws {
        let fixture = try Fixture()
        #expect(fixture.get("/js/app.js").header("Content-Type") == "text/javascript; charset=utf-8")
        #expect(fixture.get("/app.css").header("Content-Type") == "text/css; charset=utf-8")
        #expect(WebAppHandlers.contentType(for: "/x/icon.svg") == "image/svg+xml")
        #expect(WebAppHandlers.contentType(for: "/x/shot.PNG") == "image/png")
        #expect(WebAppHandlers.contentType(for: "/x/blob") == "application/octet-stream")
        let script = fixture.get("/js/app.js")
        #expect(script.file != nil, "identity bodies go out from the file (zero-copy)")
        #expect(String(decoding: Self.body(script), as: UTF8.self) == Fixture.script)
    }

    @Test func gzipWhenAcceptedWithItsOwnValidator() throws {
        let fixture = try Fixture()
        let plain = fixture.get("/js/app.js")
        let zipped = fixture.get("/js/app.js", headers: ["Accept-Encoding": "br;q=1.0, gzip;q=0.8"])
        #expect(zipped.status == 200)
        #expect(zipped.header("Content-Encoding") == "gzip")
        #expect(zipped.header("Vary") == "Accept-Encoding")
        #expect(zipped.body.count < Fixture.script.utf8.count / 4, "compressed \(zipped.body.count) bytes")
        #expect(Gzip.decompress(zipped.body) == Array(Fixture.script.utf8))
        let plainTag = try #require(plain.header("ETag")), zippedTag = try #require(zipped.header("ETag"))
        #expect(plainTag != zippedTag, "each representation has its own strong validator")
        #expect(plain.header("Content-Encoding") == nil)
        #expect(fixture.get("/js/app.js", headers: ["Accept-Encoding": "gzip;q=0"]).header("Content-Encoding") == nil)
        #expect(fixture.get("/js/app.js", headers: ["Accept-Encoding": "identity"]).header("Content-Encoding") == nil)
    }

    @Test func conditionalRequestsAnswer304() throws {
        let fixture = try Fixture()
        let first = fixture.get("/app.css")
        let etag = try #require(first.header("ETag"))
        let again = fixture.get("/app.css", headers: ["If-None-Match": etag])
        #expect(again.status == 304)
        #expect(Self.body(again).isEmpty && again.file == nil)
        #expect(again.header("ETag") == etag)
        #expect(fixture.get("/app.css", headers: ["If-None-Match": "W/" + etag]).status == 304)
        #expect(fixture.get("/app.css", headers: ["If-None-Match": "\"other\""]).status == 200)
        let lastModified = try #require(first.header("Last-Modified"))
        #expect(fixture.get("/app.css", headers: ["If-Modified-Since": lastModified]).status == 304)
        // A changed file is a new version.
        try "body{color:blue}".write(toFile: fixture.web + "/app.css", atomically: true, encoding: .utf8)
        let changed = fixture.get("/app.css", headers: ["If-None-Match": etag])
        #expect(changed.status == 200)
        #expect(changed.header("ETag") != etag)
    }

    @Test func missingFilesHiddenFilesAndAPIPathsAreNotTheApp() throws {
        let fixture = try Fixture()
        let missing = fixture.get("/js/missing.js")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/json")
        #expect(fixture.get("/.env").status == 404)
        #expect(!String(decoding: Self.body(fixture.get("/.env")), as: UTF8.self).contains("SECRET"))
        for path in ["/api/nope", "/api", "/download/nope"] {
            let response = fixture.get(path)
            #expect(response.status == 404, "\(path): \(response.status)")
            #expect(response.header("Content-Type") == "application/json", "\(path)")
            #expect(response.header("Content-Security-Policy") == Router.dataContentSecurityPolicy, "\(path)")
        }
        #expect(fixture.hub.send("POST", "/hosts/abc", body: "{}").status == 404, "only GET and HEAD fall back")
        #expect(fixture.hub.send("HEAD", "/hosts/abc").status == 200)
        #expect(fixture.get("/static/../etc/passwd").status == 400)
    }

    @Test func symlinksOutOfTheDirectoryAreNotFollowed() throws {
        let fixture = try Fixture()
        let outside = NSTemporaryDirectory() + "pulse-web-outside-" + UUID().uuidString + ".txt"
        try "outside".write(toFile: outside, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createSymbolicLink(atPath: fixture.web + "/leak.txt", withDestinationPath: outside)
        let response = fixture.get("/leak.txt")
        #expect(response.status == 404)
        #expect(!String(decoding: Self.body(response), as: UTF8.self).contains("outside"))
    }

    @Test func apiResponsesKeepTheDataPolicy() throws {
        let fixture = try Fixture()
        let health = fixture.get("/api/health")
        #expect(health.status == 200)
        #expect(health.header("Content-Security-Policy") == Router.dataContentSecurityPolicy)
        #expect(health.header("Cache-Control") == "no-store")
    }

    @Test func withoutTheFilesTheHubSaysWhereToPutThem() throws {
        let hub = try TestHub(environment: ["PULSE_WEB_DIR": "/nonexistent/pulse-web"])
        let handlers = WebAppHandlers(directories: ["/nonexistent/pulse-web"])
        let context = RequestContext(request: HTTPRequest(method: "GET", path: "/"), principal: nil, parameters: [:],
                                     requestID: "t", now: Date(), logger: hub.logger)
        #expect(throws: APIError.self) { try handlers.serve(context) }
        do {
            _ = try handlers.serve(context)
        } catch let error as APIError {
            #expect(error.code == "web_dashboard_missing")
            #expect(error.message.contains("PULSE_WEB_DIR"))
        }
    }

    /// The shipped dashboard (`Hub/Web`) keeps to the CSP and the no-outside-code rule: no inline script, style or
    /// event handler in HTML, no `eval`/`new Function`/`innerHTML`, no URL of another site (the SVG namespace and
    /// example.com placeholders aside), every import resolving
    /// to a file that exists, every file of a type the hub names, no symbolic links.
    @Test func shippedDashboardKeepsToThePolicy() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/Hub/Web"
        let files = try #require(FileManager.default.subpaths(atPath: root)).filter { !Self.isDirectory(root + "/" + $0) }
        #expect(files.contains("index.html") && files.contains("app.css") && files.contains("js/app.js"))
        for file in files {
            let path = root + "/" + file
            let type = WebAppHandlers.contentType(for: file)
            #expect(type != "application/octet-stream", "\(file) has no known content type")
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == nil, "\(file) is a symbolic link")
            guard WebAppHandlers.isCompressible(type), let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            for pattern in [#"https?://(?!www\.w3\.org/2000/svg|[a-z.]*example\.com)"#, #"//cdn"#, #"@import url"#] {
                #expect(text.range(of: pattern, options: .regularExpression) == nil, "\(file) refers to another site (\(pattern))")
            }
            if file.hasSuffix(".html") {
                #expect(text.range(of: #"<script(?![^>]*\bsrc=)[^>]*>"#, options: .regularExpression) == nil, "\(file): inline script")
                #expect(text.range(of: #"\sstyle\s*="#, options: .regularExpression) == nil, "\(file): inline style attribute")
                #expect(text.range(of: #"<style"#, options: .regularExpression) == nil, "\(file): <style> element")
                #expect(text.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "\(file): inline event handler")
            }
            if file.hasSuffix(".js") {
                for forbidden in ["eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                                  "setAttribute(\"style\"", "cssText"] {
                    #expect(!text.contains(forbidden), "\(file) uses \(forbidden)")
                }
                // Static and dynamic imports resolve to files that exist.
                let pattern = try NSRegularExpression(pattern: #"(?:from\s+|import\()\s*"(\.{1,2}/[^"]+)""#)
                let directory = (file as NSString).deletingLastPathComponent
                for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    let target = (text as NSString).substring(with: match.range(at: 1))
                    let resolved = ((root + "/" + directory + "/" + target) as NSString).standardizingPath
                    #expect(FileManager.default.fileExists(atPath: resolved), "\(file) imports \(target), which does not exist")
                }
            }
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    @Test func gzipRoundTrips() throws {
        let text = Array(String(repeating: "pulse ", count: 1000).utf8)
        let compressed = try #require(Gzip.compress(text))
        #expect(compressed.prefix(2) == [0x1f, 0x8b], "gzip magic")
        #expect(Gzip.decompress(compressed) == text)
        #expect(Gzip.decompress(Array("not gzip".utf8)) == nil)
        #expect(Gzip.decompress(try #require(Gzip.compress([]))) == [])
    }

    @Test func acceptEncodingParsing() {
        #expect(WebAppHandlers.acceptsGzip("gzip, deflate, br"))
        #expect(WebAppHandlers.acceptsGzip("*"))
        #expect(!WebAppHandlers.acceptsGzip("gzip;q=0"))
        #expect(!WebAppHandlers.acceptsGzip("br"))
        #expect(!WebAppHandlers.acceptsGzip(nil))
    }
}
