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
            request.pinnedCertificateSHA256 = pin.bytes
        } else {
            request.insecureSkipVerify = insecureSkipVerify
        }
    }
}
