import PulseCommon
import Testing

@Suite struct CryptoTests {
    @Test func knownAnswers() {
        let abc = Array("abc".utf8)
        #expect(Crypto.sha256(abc).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Crypto.sha3_256(abc).hexString == "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532")
        #expect(Crypto.sha1(abc).hexString == "a9993e364706816aba3e25717850c26c9cd0d89d")
        // RFC 4231 test case 2.
        let mac = Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac.hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func randomBytesDiffer() {
        #expect(Crypto.randomBytes(32).count == 32)
        #expect(Crypto.randomBytes(32) != Crypto.randomBytes(32))
    }

    @Test func constantTimeEquality() {
        #expect(Crypto.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!Crypto.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!Crypto.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        #expect(Crypto.constantTimeEqual([UInt8](), [UInt8]()))
    }

    @Test func hexHelpers() {
        #expect([0x00, 0xff, 0x10].hexString == "00ff10")
        #expect("00ff10".isHex(length: 6))
        #expect(!"00fg10".isHex(length: 6))
        #expect(!"00ff1".isHex(length: 6))
    }
}
