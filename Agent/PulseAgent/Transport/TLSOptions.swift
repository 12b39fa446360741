import PulseCommon

/// How the agent trusts the hub's TLS certificate (`--insecure`, `--cacert`, `--fingerprint`).
///
/// With a pinned fingerprint the certificate must match it exactly; CA and hostname checks are then replaced by
/// the pin (a self-signed hub certificate works), and `--insecure` is ignored. Without one, the system CA store
/// (or `caFile`) and the hostname are verified unless `insecureSkipVerify`.
public struct TLSOptions: Sendable, Equatable {
    public var insecureSkipVerify: Bool
    /// A PEM bundle of trusted CAs, replacing the system store.
    public var caFile: String?
    public var pinnedCertificate: CertificateFingerprint?

    public init(insecureSkipVerify: Bool = false, caFile: String? = nil,
                pinnedCertificate: CertificateFingerprint? = nil) {
        self.insecureSkipVerify = insecureSkipVerify
        self.caFile = caFile
        self.pinnedCertificate = pinnedCertificate
    }

    /// Copies these options onto a request.
    func apply(to request: inout HTTPClientRequest) {
        request.caFile = caFile
        if let pin = pinnedCertificate {
            request.insecureSkipVerify = false
            CertificatePinning.pin(&request, pin)
        } else {
            request.insecureSkipVerify = insecureSkipVerify
        }
    }
}

/// A request that can carry a certificate pin: the seam between the agent and `PulseCommon.HTTPClient`.
///
/// `HTTPClientRequest` gets `public var pinnedCertificateSHA256: [UInt8]?` from PulseCommon (enforced during the
/// TLS handshake with `CURLOPT_SSL_CTX_FUNCTION`; the code is in `Agent/README.md`). Until it does, the default
/// below stores nothing, `CertificatePinning.isAvailable` is false and `--fingerprint` is refused at start rather
/// than silently not pinned. Once the stored property exists it satisfies this requirement instead of the
/// default, and pinning works with no change in the agent.
protocol CertificatePinnable {
    var pinnedCertificateSHA256: [UInt8]? { get set }
}

extension CertificatePinnable {
    var pinnedCertificateSHA256: [UInt8]? {
        get { nil }
        set {}  // no pinning support in this PulseCommon yet: see CertificatePinning.isAvailable
    }
}

extension HTTPClientRequest: CertificatePinnable {}

/// Certificate pinning through `CertificatePinnable`.
enum CertificatePinning {
    /// Whether the linked HTTP client enforces `pinnedCertificateSHA256`.
    static let isAvailable: Bool = {
        var probe = HTTPClientRequest(url: "https://pin.invalid/")
        pin(&probe, CertificateFingerprint(bytes: [UInt8](repeating: 0, count: 32)))
        return pinned(probe) != nil
    }()

    /// Sets the pin (through the protocol, so the stored property is used once it exists).
    static func pin<Request: CertificatePinnable>(_ request: inout Request, _ fingerprint: CertificateFingerprint) {
        request.pinnedCertificateSHA256 = fingerprint.bytes
    }

    /// The pin a request carries.
    static func pinned<Request: CertificatePinnable>(_ request: Request) -> [UInt8]? {
        request.pinnedCertificateSHA256
    }
}
