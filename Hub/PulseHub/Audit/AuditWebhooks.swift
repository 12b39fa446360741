import Foundation
import PulseCommon
import Synchronization

/// Refuses webhook targets that would let the hub be used against its own network (SSRF): only http(s), no
/// credentials in the URL, and every address the host resolves to must be public unless it is inside
/// `PULSE_WEBHOOK_ALLOWED_PRIVATE_CIDRS`. The check runs when URLs are saved and again before each delivery,
/// whose connection is then pinned to the checked address.
public struct WebhookURLGuard: Sendable {
    public let allowedPrivate: [CIDR]
    /// Name resolution; replaceable in tests.
    let resolver: @Sendable (String) -> [IPAddress]

    public struct Target: Sendable, Equatable {
        public let url: String
        public let host: String
        public let port: Int
    }

    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(allowedPrivate: [CIDR], resolver: @escaping @Sendable (String) -> [IPAddress] = WebhookURLGuard.systemResolve) {
        self.allowedPrivate = allowedPrivate
        self.resolver = resolver
    }

    /// Checks a URL's form.
    public func parse(_ text: String) throws(Refusal) -> Target {
        let url = text.trimmingWhitespace()
        guard !url.isEmpty, url.utf8.count <= 2048 else { throw Refusal(description: "a URL must be 1 to 2048 characters") }
        guard !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) else {
            throw Refusal(description: "\(Self.shown(url)): spaces and control characters are not allowed")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https" else {
            throw Refusal(description: "\(Self.shown(url)): only http:// and https:// URLs are allowed")
        }
        guard components.user == nil, components.password == nil else {
            throw Refusal(description: "\(Self.shown(url)): credentials in the URL are not allowed")
        }
        guard var host = components.host, !host.isEmpty else { throw Refusal(description: "\(Self.shown(url)): the URL has no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { throw Refusal(description: "\(Self.shown(url)): invalid port") }
        return Target(url: url, host: host, port: port)
    }

    /// Resolves the target and returns the address to connect to; refuses when any resolved address is
    /// non-public and not allowed (a name resolving to both public and private addresses is refused).
    public func check(_ target: Target) throws(Refusal) -> IPAddress {
        let addresses = IPAddress(target.host).map { [$0] } ?? resolver(target.host)
        guard let first = addresses.first else { throw Refusal(description: "\(target.host) does not resolve") }
        for address in addresses where address.isNonPublic && !allowedPrivate.contains(where: { $0.contains(address) }) {
            throw Refusal(description: "\(target.host) resolves to \(address), a private, loopback or link-local address; "
                          + "allow it with PULSE_WEBHOOK_ALLOWED_PRIVATE_CIDRS if this is intended")
        }
        return first
    }

    /// The `CURLOPT_RESOLVE` entry pinning `target` to `address`.
    public static func pin(_ target: Target, to address: IPAddress) -> String {
        "\(target.host):\(target.port):\(address.isIPv4 ? address.description : "[\(address)]")"
    }

    private static func shown(_ url: String) -> String {
        url.count > 80 ? String(url.prefix(80)) + "…" : url
    }

    public static let systemResolve: @Sendable (String) -> [IPAddress] = { host in
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let result else { return [] }
        defer { freeaddrinfo(result) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = result
        while let entry = cursor {
            if let sockaddr = entry.pointee.ai_addr {
                if entry.pointee.ai_family == AF_INET {
                    var address = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    if let ip = IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }) { addresses.append(ip) }
                } else if entry.pointee.ai_family == AF_INET6 {
                    var address = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    if let ip = IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }) { addresses.append(ip) }
                }
            }
            cursor = entry.pointee.ai_next
        }
        var seen = Set<IPAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }
}

/// Delivers queued audit events to the configured webhooks, off the request path: one worker thread, the queue in
/// `pulse.db` (so a restart resumes it), exponential backoff with jitter, and a bounded number of attempts.
public final class AuditWebhookDeliverer: Sendable {
    public static let maxAttempts = 8
    public static let requestTimeout: Duration = .seconds(10)

    private let store: ControlStore
    private let audit: AuditLog
    private let guardrail: WebhookURLGuard
    private let key: [UInt8]
    private let logger: Logger
    private let wake = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    private let finished = WakeSignal()

    public init(store: ControlStore, audit: AuditLog, guardrail: WebhookURLGuard, key: [UInt8], logger: Logger) {
        self.store = store
        self.audit = audit
        self.guardrail = guardrail
        self.key = key
        self.logger = logger
    }

    /// Starts the worker thread.
    public func start() {
        audit.setOnQueued { [wake] in wake.signal() }
        let thread = Thread { [self] in run() }
        thread.name = "pulse-audit-webhooks"
        thread.start()
    }

    /// Stops the worker after its current delivery (bounded by the request timeout).
    public func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        _ = finished.wait(timeout: .seconds(12))
    }

    /// Backoff before attempt `attempts + 1`: 5 s doubling to at most an hour, with ±20 % jitter.
    static func backoff(afterAttempts attempts: Int) -> TimeInterval {
        let base = min(3600, 5 * pow(2, Double(max(0, attempts - 1))))
        return base * Double.random(in: 0.8...1.2)
    }

    private func run() {
        let client = HTTPClient()
        while !stopping.load(ordering: .acquiring) {
            var due: [AuditDelivery] = []
            do { due = try store.dueDeliveries(now: Date(), limit: 32) } catch {
                logger.warn("cannot read the webhook queue", ["error": "\(error)"])
            }
            for delivery in due where !stopping.load(ordering: .acquiring) {
                deliver(delivery, client: client)
            }
            if due.isEmpty { _ = wake.wait(timeout: .seconds(1)) }
        }
        finished.signal()
    }

    /// The headers a delivery carries; the signature is the hex HMAC-SHA256 of the exact body under the audit key.
    func headers(for delivery: AuditDelivery) -> [(String, String)] {
        [("Content-Type", "application/json"), ("User-Agent", "Pulse/\(PulseVersion.current)"),
         ("X-Pulse-Event", delivery.event), ("X-Pulse-Delivery", String(delivery.id)),
         ("X-Pulse-Signature", "sha256=" + Crypto.hmacSHA256(key: key, message: delivery.body).hexString)]
    }

    private func deliver(_ delivery: AuditDelivery, client: HTTPClient) {
        var updated = delivery
        updated.attempts += 1
        updated.updatedAt = Date()
        var outcome: (ok: Bool, status: Int?, error: String?, permanent: Bool)
        if !audit.webhooks.contains(delivery.url) {
            outcome = (false, nil, "the webhook was removed from the configuration", true)
        } else {
            do {
                let target = try guardrail.parse(delivery.url)
                let address = try guardrail.check(target)
                var request = HTTPClientRequest(method: "POST", url: delivery.url, headers: headers(for: delivery),
                                                body: delivery.body, timeout: Self.requestTimeout)
                request.resolve = [WebhookURLGuard.pin(target, to: address)]
                let response = try client.perform(request)
                let ok = (200..<300).contains(response.status)
                outcome = (ok, response.status, ok ? nil : "HTTP \(response.status)", false)
            } catch let refusal as WebhookURLGuard.Refusal {
                outcome = (false, nil, "refused: \(refusal.description)", false)
            } catch {
                outcome = (false, nil, "\(error)", false)
            }
        }
        updated.lastStatus = outcome.status
        updated.lastError = outcome.error.map { String($0.prefix(500)) }
        if outcome.ok {
            updated.status = .delivered
        } else if outcome.permanent || updated.attempts >= Self.maxAttempts {
            updated.status = .failed
            logger.warn("audit webhook delivery abandoned", ["url": delivery.url, "event": delivery.event,
                                                             "attempts": String(updated.attempts), "error": outcome.error ?? "-"])
        } else {
            updated.nextAttemptAt = Date().addingTimeInterval(Self.backoff(afterAttempts: updated.attempts))
            logger.info("audit webhook delivery failed; will retry", ["url": delivery.url, "attempt": String(updated.attempts),
                                                                     "error": outcome.error ?? "-"])
        }
        do { try store.updateDelivery(updated) } catch {
            logger.warn("cannot update the webhook queue", ["error": "\(error)"])
        }
    }
}

/// A one-shot-per-signal wake-up for worker threads.
final class WakeSignal: Sendable {
    private let condition = Mutex(false)
    private let semaphore = DispatchSemaphore(value: 0)

    func signal() {
        let shouldPost = condition.withLock { pending in
            if pending { return false }
            pending = true
            return true
        }
        if shouldPost { semaphore.signal() }
    }

    /// Waits for a signal or the timeout; true when signalled.
    func wait(timeout: Duration) -> Bool {
        let milliseconds = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let signalled = semaphore.wait(timeout: .now() + .milliseconds(milliseconds)) == .success
        condition.withLock { $0 = false }
        return signalled
    }
}
