import Foundation
import Shared
import Testing
import TestSupport

/// Which java the agent runs, on a real agent: `$BK_HOME/service/java`, then
/// `$BK_HOME/common/java`, then the manifest's `java_home`, then PATH. The first two are small
/// scripts that print a version banner the way `java -version` does (on stderr) and otherwise
/// hand over to the real JDK, so a service started through them is a real JVM.
@Suite("Agent java search", .serialized, .enabled(if: Prerequisites.runIntegration))
struct AgentJavaSearchTests {
    /// The JDK behind `java` on PATH (JDK 17 where scripts/bootstrap installed it).
    static func realJavaHome() throws -> String {
        let found = try Command.run("/bin/sh", ["-c", "readlink -f \"$(command -v java)\""])
        let program = found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard found.succeeded, program.hasSuffix("/bin/java") else { throw SandboxError(message: "no java on PATH: \(found.stderr)") }
        return String(program.dropLast("/bin/java".count))
    }

    /// Writes `HOME/<folder>/java/bin/java`: prints `version` like `java -version`, notes each
    /// other run in `marker`, then runs the real JDK with the same arguments.
    func fakeJava(_ folder: String, in home: String, version: String, realHome: String, marker: String) throws {
        let bin = "\(home)/\(folder)/java/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            if [ "$1" = "-version" ]; then
              echo 'openjdk version "\(version)"' >&2
              echo 'OpenJDK Runtime Environment (fake, for the search order)' >&2
              exit 0
            fi
            echo "$0" >> '\(marker)'
            exec '\(realHome)/bin/java' "$@"

            """
        try script.write(toFile: "\(bin)/java", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(bin)/java")
    }

    func hello(_ client: AgentTestClient, javaHome: String? = nil) throws -> HostFacts {
        let response = try client.send(.hello(HelloRequest(client: "java search test", javaHome: javaHome)))
        guard case .hello(let result) = response.body else { throw SandboxError(message: "hello failed: \(response)") }
        return result.host
    }

    @Test("service/java first (and a service runs it), then common/java, then java_home, then PATH")
    func searchOrder() throws {
        try Prerequisites.require()
        let host = try AgentTestHost(name: "java-search", address: "127.0.11.21")
        defer { host.cleanup() }
        let realHome = try Self.realJavaHome()
        let marker = "\(host.home)/fake-java-ran"
        try fakeJava("service", in: host.home, version: "1.8.0_392", realHome: realHome, marker: marker)
        try fakeJava("common", in: host.home, version: "11.0.22", realHome: realHome, marker: marker)
        try host.install(["job-config"])
        let client = try host.client()
        defer { client.close() }

        let first = try hello(client, javaHome: realHome)
        #expect(first.javaPath == "\(host.home)/service/java/bin/java")
        #expect(first.javaSource == "$BK_HOME/service/java")
        #expect(first.javaVersion == "1.8.0_392")

        // A service whose command starts with a bare `java` is started through the same search.
        let activated = try client.send(.activate(ActivateRequest(service: "job-config", release: host.releases["job-config"]!)))
        #expect(activated.failure == nil, "\(activated)")
        let applied = try client.send(.apply(ApplyRequest(services: [host.spec("job-config")])))
        #expect(applied.failure == nil, "\(applied)")
        _ = try client.waitFor("job-config healthy") { status in
            status.services.contains { $0.name == "job-config" && $0.health.state == .healthy }
        }
        let ran = (try? String(contentsOfFile: marker, encoding: .utf8)) ?? ""
        #expect(ran.contains("\(host.home)/service/java/bin/java"), "the service was not started through service/java: \(ran)")
        _ = try client.send(.stop(ControlRequest(services: ["job-config"])))

        try FileManager.default.removeItem(atPath: "\(host.home)/service")
        let second = try hello(client, javaHome: realHome)
        #expect(second.javaPath == "\(host.home)/common/java/bin/java")
        #expect(second.javaVersion == "11.0.22")

        try FileManager.default.removeItem(atPath: "\(host.home)/common")
        let third = try hello(client, javaHome: realHome)
        #expect(third.javaPath == "\(realHome)/bin/java")
        #expect(third.javaSource == "java_home")
        #expect(third.javaVersion.flatMap(JavaMajor.of) != nil, "a real JDK answers with its version: \(third)")

        let last = try hello(client)
        #expect(last.javaPath == "java")
        #expect(last.javaSource == "PATH")
        #expect(last.javaVersion != nil && last.javaVersion == third.javaVersion, "java_home was PATH's own JDK")
    }
}
