import CCrypt
import Foundation
import PulseCommon

/// bcrypt password hashes through libcrypt (libxcrypt): `$2b$` with cost 12 for new hashes; existing `$2a$`,
/// `$2b$` and `$2y$` hashes (Pulse's `.env`) verify. The only file that imports libcrypt.
public enum PasswordHasher {
    /// The work factor for new hashes.
    public static let cost = 12
    /// Passwords shorter than this are refused.
    public static let minimumLength = 12

    /// Why a password or hash is not acceptable.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case tooShort
        case tooLong
        case failed

        public var description: String {
            switch self {
            case .tooShort: return "password must be at least \(PasswordHasher.minimumLength) characters"
            case .tooLong: return "password must be at most 72 bytes (the bcrypt limit)"
            case .failed: return "password hashing failed"
            }
        }
    }

    /// Whether a string is a bcrypt hash this module can verify.
    public static func isHash(_ text: String) -> Bool {
        text.utf8.count == 60 && (text.hasPrefix("$2a$") || text.hasPrefix("$2b$") || text.hasPrefix("$2y$"))
    }

    /// A new `$2b$12$…` hash of `password`.
    public static func hash(_ password: String, cost: Int = cost) throws(Problem) -> String {
        guard password.count >= minimumLength else { throw .tooShort }
        guard password.utf8.count <= 72 else { throw .tooLong }
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else { throw .failed }
        let settingText = setting.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard let hashed = run(password, settingText), isHash(hashed) else { throw .failed }
        return hashed
    }

    /// Whether `password` matches `hash`, compared in constant time.
    public static func verify(_ password: String, against hash: String) -> Bool {
        guard isHash(hash), password.utf8.count <= 72, let computed = run(password, hash) else { return false }
        return Crypto.constantTimeEqual(Array(computed.utf8), Array(hash.utf8))
    }

    private static func run(_ phrase: String, _ setting: String) -> String? {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            // The area holds key material: clear it before giving it back.
            UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
        guard let result = crypt_rn(phrase, setting, data, Int32(MemoryLayout<crypt_data>.size)) else { return nil }
        let text = String(cString: result)
        // libxcrypt signals failure with a string starting with "*".
        return text.hasPrefix("*") ? nil : text
    }
}
