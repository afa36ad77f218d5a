import Foundation
import Shared
import Testing
@testable import Controller

/// The Java each release line states, and the refusal of a host whose java does not fit.
@Suite("Java per release line")
struct JavaRuntimeTests {
    @Test(arguments: [("1.8.0_392", 8), ("17.0.15", 17), ("21", 21), ("11-ea", 11), ("1.7.0_80", 7), ("25.0.1+8", 25)])
    func majors(version: String, major: Int) {
        #expect(JavaMajor.of(version) == major)
    }

    @Test func notAVersion() {
        #expect(JavaMajor.of("") == nil)
        #expect(JavaMajor.of("openjdk") == nil)
    }

    func runtime(_ version: String, mode: String = "stable") throws -> JavaRuntime {
        let catalog = try ServiceCatalog.load(path: UpstreamFixture.catalogs, version: version, mode: mode, manifest: "fleet.yaml")
        return try #require(catalog.javaRuntime(for: version), "\(version) \(mode)")
    }

    @Test("the shipped lines: 3.3 to 3.11 are Java 8 and accept 11 and 17; 3.12 and later need 17")
    func shippedLines() throws {
        for version in ["3.3.8", "3.7.4", "3.8.0", "3.11.2"] {
            let line = try runtime(version)
            #expect(line.major == 8, "\(version)")
            #expect(line.accepts == [8, 11, 17], "\(version)")
        }
        #expect(try runtime("3.11.2", mode: "lite").major == 8)
        for mode in ["stable", "lite"] {
            let line = try runtime("3.12.3", mode: mode)
            #expect(line.major == 17 && line.accepts == [17])
        }
    }

    @Test("a found java passes when its major is accepted")
    func rule() {
        let line = JavaRuntime(major: 17)
        #expect(line.problem(found: "17.0.15") == nil)
        #expect(line.problem(found: "1.8.0_392") == "java 1.8.0_392 is Java 8")
        #expect(line.problem(found: nil) == "no java found")
        #expect(line.needs == "Java 17")
        let old = JavaRuntime(major: 8, accepts: [8, 17])
        #expect(old.problem(found: "17.0.2") == nil)
        #expect(old.problem(found: "11.0.2") != nil)
        #expect(old.needs == "Java 8 (accepted: 8, 17)")
    }

    @Test("a catalog's java_runtime is checked: major required, accepts must hold it")
    func catalogErrors() {
        let yaml = """
            catalog_version: 1
            project: job
            java_runtime:
              - { versions: ">=3.12", accepts: [17] }
              - { versions: "3.x", major: 8, accepts: [11, 17] }
            services:
              job-config: { jar: backend/job-config/job-config.jar, port: "10500" }
            """
        #expect {
            try ServiceCatalog.parse(yaml: yaml, path: "catalog.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.contains("java_runtime[0].major") && text.contains("java_runtime[1].versions")
                && text.contains("must include major (8)")
        }
    }

    func facts(java version: String?, path: String, source: String) -> HostFacts {
        var facts = HostFacts(hostname: "h", kernel: "6", cpus: 2, memoryBytes: 1, memoryAvailableBytes: 1,
                              diskFreeBytes: 1 << 40, diskTotalBytes: 1 << 40, javaVersion: version,
                              javaError: version == nil ? "cannot run java" : nil, bootId: nil)
        facts.javaPath = path
        facts.javaSource = source
        return facts
    }

    @Test("plan refuses a host whose java the line does not accept, naming host, service, found and needed")
    func planRefuses() throws {
        let fixture = try UpstreamFixture()
        var desired = try fixture.desired(try fixture.manifest())
        desired.setVersion("3.12.3")
        var h1 = ObservedHost(host: try #require(desired.manifest.host(named: "h1")))
        h1.facts = facts(java: "17.0.15", path: "java", source: "PATH")
        var h2 = ObservedHost(host: try #require(desired.manifest.host(named: "h2")))
        h2.facts = facts(java: "1.8.0_392", path: "/data/bkee/service/java/bin/java", source: "$BK_HOME/service/java")
        let plan = Planner.plan(desired: desired, observed: [h1, h2])
        #expect(plan.problems.count == 1, "\(plan.problems)")
        let problem = try #require(plan.problems.first)
        #expect(problem.hasPrefix("h2 (10.9.0.2:22): job-manage: java 1.8.0_392 is Java 8 at /data/bkee/service/java/bin/java"),
                "\(problem)")
        #expect(problem.contains("release 3.12.3 needs Java 17"), "\(problem)")
    }

    @Test("hosts that report no search (older agents, fakes) are not judged")
    func unknownFacts() throws {
        let fixture = try UpstreamFixture()
        var desired = try fixture.desired(try fixture.manifest())
        desired.setVersion("3.12.3")
        #expect(Planner.plan(desired: desired, observed: []).problems.isEmpty)
        let instances = desired.instances(on: "h2")
        var old = facts(java: "1.8.0_392", path: "x", source: "PATH")
        old.javaPath = nil
        #expect(JavaCheck.problems(instances: instances, facts: old, runtime: JavaRuntime(major: 17), version: "3.12.3").isEmpty)
    }

    @Test("java_home, the fleet's or the host's own, reaches the hosts and the specs")
    func javaHome() throws {
        let manifest = try FleetManifest.parse(yaml: """
            name: f
            java_home: /opt/jdk17
            hosts:
              - { name: h1, address: 10.9.0.1 }
              - { name: h2, address: 10.9.0.2, java_home: /usr/lib/jvm/java-8 }
            """, path: "/tmp/fleet.yaml")
        #expect(manifest.hosts.map(\.javaHome) == ["/opt/jdk17", "/usr/lib/jvm/java-8"])
        let fixture = try UpstreamFixture()
        var placed = try fixture.manifest()
        placed.hosts[1].javaHome = "/opt/jdk8"
        let desired = try fixture.desired(placed)
        #expect(desired.instances(on: "h2").map(\.spec.javaHome) == ["/opt/jdk8"])
        #expect(desired.instances(on: "h1").map(\.spec.javaHome) == [nil])
    }
}
