import Crypto
import Foundation
import Shared

extension DesiredFleet {
    /// The bytes a revision fingerprints: the spec (without its revision and version) and every
    /// file it runs with, by path, content digest and mode. Secrets are among them (a health
    /// probe's password, rendered credentials), so these bytes, and a plain digest of them, are
    /// never stored or printed.
    static func fingerprint(of spec: ServiceSpec, files: [DesiredFile]) -> [UInt8] {
        var unversioned = spec
        unversioned.revision = nil
        // The release version is shown, not run: a new VERSION with the same jars and files
        // restarts nothing.
        unversioned.version = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = Array((try? encoder.encode(unversioned)) ?? Data())
        for file in files.sorted(by: { $0.remotePath < $1.remotePath }) {
            bytes += Array("\n\(file.remotePath) \(file.sha256) \(file.mode)".utf8)
        }
        return bytes
    }

    /// A fingerprint of the spec and the files it runs with: equal revisions mean nothing to
    /// restart for. With the host's revision key (from its agent) it is an HMAC-SHA256, which
    /// nobody without the key can test guesses of a secret against; without one (only before a
    /// host was reached) it is the plain SHA-256 earlier versions used.
    static func revision(of spec: ServiceSpec, files: [DesiredFile], key: [UInt8]?) -> String {
        revision(fingerprint: fingerprint(of: spec, files: files), key: key)
    }

    /// The revision of fingerprint `bytes`, keyed or not (see `revision(of:files:key:)`).
    static func revision(fingerprint bytes: [UInt8], key: [UInt8]?) -> String {
        guard let key else { return String(Checksum.sha256(bytes).prefix(16)) }
        let mac = HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: key))
        return String(Checksum.hex(mac).prefix(16))
    }

    /// The fleet with each reached host's revisions keyed by that host's key (`keys`, by host
    /// name). Each instance also keeps the unkeyed revision earlier versions of jobfleet gave
    /// it, in memory only, so an instance they deployed is not restarted just because the
    /// fingerprint's form changed.
    public func keyingRevisions(_ keys: [String: [UInt8]]) -> DesiredFleet {
        var keyed = self
        keyed.revisionKeys = keys
        for index in keyed.instances.indices {
            let instance = keyed.instances[index]
            guard let key = keys[instance.host.name] else { continue }
            let bytes = Self.fingerprint(of: instance.spec, files: instance.files + instance.served)
            keyed.instances[index].unkeyedRevision = Self.revision(fingerprint: bytes, key: nil)
            keyed.instances[index].spec.revision = Self.revision(fingerprint: bytes, key: key)
        }
        return keyed
    }

    /// The revision key an agent reported (64 hex digits), as bytes; nil when absent or malformed.
    static func revisionKey(hex: String?) -> [UInt8]? {
        guard let hex, hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}

extension DesiredInstance {
    /// True when `revision` (what the host's agent reports) is this instance's: the keyed
    /// revision, or the unkeyed one an earlier jobfleet recorded for the same definition.
    public func isCurrent(revision: String?) -> Bool {
        guard let revision else { return spec.revision == nil }
        return revision == spec.revision || revision == unkeyedRevision
    }
}
