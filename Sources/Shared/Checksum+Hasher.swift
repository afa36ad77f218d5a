import Crypto

extension Checksum {
    /// SHA-256 fed piece by piece (a file as it is written), for code outside Shared that
    /// should not import Crypto itself.
    public struct Hasher: Sendable {
        private var inner = SHA256()

        public init() {}

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            inner.update(bufferPointer: bytes)
        }

        /// The digest as lowercase hex.
        public func finalizeHex() -> String {
            Checksum.hex(inner.finalize())
        }
    }

    /// Hex SHA-256 of a buffer, without copying it.
    public static func sha256(buffer: UnsafeRawBufferPointer) -> String {
        var hasher = Hasher()
        hasher.update(buffer)
        return hasher.finalizeHex()
    }
}
