import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// Hashes, MACs and random bytes from OpenSSL 3. (OpenSSL is imported here and, for certificate pinning inside
/// libcurl's handshake, in `HTTPClient.swift`.)
public enum Crypto {
    /// SHA-256 digest.
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] { digest(EVP_sha256(), Array(data)) }

    /// SHA-256 of a file, read in 1 MiB chunks; nil when it cannot be read.
    public static func sha256(fileAt path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            guard buffer.withUnsafeBytes({ EVP_DigestUpdate(context, $0.baseAddress, count) }) == 1 else { return nil }
        }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &out, &length) == 1 else { return nil }
        return Array(out.prefix(Int(length)))
    }

    /// SHA3-256 digest.
    public static func sha3_256(_ data: some Collection<UInt8>) -> [UInt8] { digest(EVP_sha3_256(), Array(data)) }

    /// SHA-1 digest (used only for identifiers the reference derives with SHA-1, never for security).
    public static func sha1(_ data: some Collection<UInt8>) -> [UInt8] { digest(EVP_sha1(), Array(data)) }

    /// HMAC-SHA256.
    public static func hmacSHA256(key: [UInt8], message: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(message)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { keyBuffer in
            bytes.withUnsafeBufferPointer { messageBuffer in
                HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count), messageBuffer.baseAddress,
                     messageBuffer.count, &out, &length)
            }
        }
        precondition(ok != nil, "HMAC-SHA256 failed in OpenSSL")
        return Array(out.prefix(Int(length)))
    }

    /// Cryptographically secure random bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "RAND_bytes failed: the system has no entropy source")
        return out
    }

    /// Compares two byte sequences in time that depends only on their lengths.
    public static func constantTimeEqual(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        let left = Array(lhs), right = Array(rhs)
        guard left.count == right.count else { return false }
        if left.isEmpty { return true }
        return left.withUnsafeBytes { l in right.withUnsafeBytes { r in CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0 } }
    }

    private static func digest(_ type: OpaquePointer?, _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, &out, &length, type, nil) }
        precondition(ok == 1, "EVP_Digest failed in OpenSSL")
        return Array(out.prefix(Int(length)))
    }
}

extension Collection<UInt8> {
    /// Lowercase hexadecimal.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// Whether the string is exactly `length` lowercase or uppercase hex digits.
    public func isHex(length: Int) -> Bool {
        utf8.count == length && utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
    }
}
