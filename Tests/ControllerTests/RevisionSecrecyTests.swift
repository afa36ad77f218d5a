import Foundation
import Shared
import Testing
@testable import Controller

/// Revisions are recorded in the journal and shown in status, and the spec they fingerprint
/// holds secrets (the actuator password, rendered credentials). Keyed by the host's key, a
/// revision cannot be used to test guesses of those secrets.
@Suite("Revisions keep secrets out")
struct RevisionSecrecyTests {
    static let key = [UInt8](repeating: 7, count: 32)
    static let otherKey = [UInt8](repeating: 9, count: 32)

    static func spec(password: String) -> ServiceSpec {
        var spec = ServiceSpec(name: "job-manage", command: ["java", "-jar", "job-manage.jar"])
        spec.health = HealthCheckSpec(probe: .http(HTTPProbeSpec(url: "http://10.0.0.1:10505/actuator/health",
                                                                 user: "job", password: password, expectStatus: 200)))
        return spec
    }

    @Test("a keyed revision cannot be recomputed from the spec and a guessed password, yet still tracks every change")
    func keyed() {
        let spec = Self.spec(password: "hunter2")
        let keyed = DesiredFleet.revision(of: spec, files: [], key: Self.key)
        // What someone holding the journal could compute for a guess: the plain digest.
        let guess = String(Checksum.sha256(DesiredFleet.fingerprint(of: Self.spec(password: "hunter2"), files: [])).prefix(16))
        #expect(keyed != guess)
        #expect(keyed != DesiredFleet.revision(of: spec, files: [], key: nil))
        #expect(keyed == DesiredFleet.revision(of: spec, files: [], key: Self.key), "stable for one host's key")
        #expect(keyed != DesiredFleet.revision(of: spec, files: [], key: Self.otherKey))
        #expect(keyed != DesiredFleet.revision(of: Self.spec(password: "rotated"), files: [], key: Self.key),
                "a rotated password still changes the revision")
        #expect(keyed.count == 16 && keyed.allSatisfy(\.isHexDigit))
    }

    @Test("a session keys every reached host's revisions with that host's key; an instance an earlier jobfleet deployed is not restarted")
    func keyingAndUpgrade() throws {
        let fixture = try PlanningFixture()
        let unkeyed = try fixture.desired()
        let keyed = unkeyed.keyingRevisions(["h1": Self.key, "h2": Self.otherKey])
        for (before, after) in zip(unkeyed.instances, keyed.instances) {
            #expect(after.spec.revision != before.spec.revision, "\(after.label)")
            #expect(after.unkeyedRevision == before.spec.revision)
            #expect(after.spec.revision == DesiredFleet.revision(of: before.spec, files: before.files + before.served,
                                                                  key: keyed.revisionKeys[after.host.name]))
        }
        // Hosts converged under the unkeyed revisions an earlier jobfleet recorded: no change.
        let plan = Planner.plan(desired: keyed, observed: PlanningFixture.converged(unkeyed))
        #expect(!plan.hasChanges, "\(plan.hosts.flatMap(\.changes).filter { $0.action != .none }.map(\.reasons))")
        // A revision that is neither: the definition changed.
        var observed = PlanningFixture.converged(unkeyed)
        observed[0].services["job-manage"]?.revision = "0123456789abcdef"
        let changed = Planner.plan(desired: keyed, observed: observed)
        let manage = try #require(changed.hosts.first { $0.host.name == "h1" }?.changes.first { $0.instance.service == "job-manage" })
        #expect(manage.action == .restart && manage.reasons == ["service definition changed"])
    }

    @Test("the revision key an agent reports is 64 hex digits; anything else is ignored")
    func keyText() {
        #expect(DesiredFleet.revisionKey(hex: String(repeating: "0a", count: 32)) == [UInt8](repeating: 10, count: 32))
        #expect(DesiredFleet.revisionKey(hex: "0a") == nil)
        #expect(DesiredFleet.revisionKey(hex: String(repeating: "zz", count: 32)) == nil)
        #expect(DesiredFleet.revisionKey(hex: nil) == nil)
    }
}

/// The journal and the checksum cache are the operator's alone.
@Suite("Private controller files")
struct PrivateFilesTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("a new journal is 0600 in a 0700 directory whatever the umask; an older 0644 journal is tightened")
    func journal() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-private-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = umask(0o022)
        defer { umask(old) }
        let path = "\(dir)/state/journal.sqlite"
        _ = try SQLiteJournal(path: path)
        #expect(try Self.mode(path) == 0o600)
        #expect(try Self.mode("\(dir)/state") == 0o700)

        let older = "\(dir)/older.sqlite"
        #expect(FileManager.default.createFile(atPath: older, contents: nil, attributes: [.posixPermissions: 0o644]))
        _ = try SQLiteJournal(path: older)
        #expect(try Self.mode(older) == 0o600)
    }

    @Test("the checksum cache is written 0600 in a 0700 directory")
    func checksumCache() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-private-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = umask(0o022)
        defer { umask(old) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let jar = "\(dir)/job-manage.jar"
        try Data("jar".utf8).write(to: URL(fileURLWithPath: jar))
        let cache = ChecksumCache(file: "\(dir)/cache/sha256.json")
        _ = try cache.sha256(of: jar)
        cache.save()
        #expect(try Self.mode("\(dir)/cache/sha256.json") == 0o600)
        #expect(try Self.mode("\(dir)/cache") == 0o700)
        #expect(ChecksumCache(file: "\(dir)/cache/sha256.json").file != nil)
        let reread = ChecksumCache(file: "\(dir)/cache/sha256.json")
        #expect(try reread.sha256(of: jar).0 == Checksum.sha256(Array("jar".utf8)))
    }
}
