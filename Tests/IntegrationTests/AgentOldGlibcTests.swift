import Foundation
import Shared
import Testing
import TestSupport

/// The shipped agent is one static executable, so it runs where the build machine's glibc
/// (2.36) is not installed. Proved here on Debian 11 (glibc 2.31): the release agent, copied
/// into a debootstrapped root and run there with `chroot`, supervises a service end to end.
/// The service is a small HTTP server in the root's own perl (minbase has no JVM); its health
/// URL names the host, so the probe resolves a name inside the root as well.
///
/// The second run answers the system calls Linux 3.10 lacks with ENOSYS (through `strace`), so
/// the fallbacks glibc and the Swift runtime take on CentOS 7's kernel are taken here too.
@Suite("The static agent in a Debian 11 root (glibc 2.31)",
       .enabled(if: Prerequisites.runIntegration), .enabled(if: Debian11Host.available), .serialized)
struct AgentOldGlibcTests {
    static let address = "127.0.9.41"
    static let port = 18941
    static let hostName = "bk-service.test"

    /// Answers every request with 200 once it has read the request's head.
    static let server = """
        use IO::Socket::INET;
        my ($addr, $port) = @ARGV;
        my $server = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port, Listen => 8, ReuseAddr => 1)
            or die "listen $addr:$port: $!\\n";
        $| = 1;
        print "listening on $addr:$port\\n";
        while (my $client = $server->accept) {
            while (my $line = <$client>) { last if $line =~ /^\\r?\\n$/; }
            print $client "HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok";
            close $client;
        }
        """

    @Test("runs there: hello, lease, apply; the service turns healthy, is restarted when killed, and stops",
          arguments: [nil, OldKernel.linux310])
    func supervisesAService(kernel: OldKernel?) throws {
        try Prerequisites.require()
        if kernel != nil && Prerequisites.find("strace") == nil {
            // Locally a skip with the reason; in CI the missing tool fails the run.
            guard Prerequisites.isCI else {
                FileHandle.standardError.write(Data("old-kernel run skipped: strace is missing (apt-get install strace)\n".utf8))
                return
            }
            throw SandboxError(message: "strace is missing (apt-get install strace, or run scripts/bootstrap)")
        }
        let agent = try StaticAgentBuild.binary.get()
        let host = try Debian11Host(agent: agent, hostName: Self.hostName, serviceAddress: Self.address)
        defer { host.tearDown() }

        let glibc = try host.run("/usr/bin/ldd", ["--version"])
        #expect(glibc.stdout.hasPrefix("ldd (Debian GLIBC 2.31"), "\(glibc.stdout)")
        try Self.server.write(toFile: "\(host.root)/srv/health-server.pl", atomically: true, encoding: .utf8)

        let client = try host.client(kernel: kernel)
        // The agent first: under strace the bridge's tracer only ends once the daemon has.
        defer {
            host.tearDown()
            client.close()
        }
        let hello = try client.send(.hello(HelloRequest(client: "old glibc test")))
        guard case .hello(let facts) = hello.body else { Issue.record("hello failed: \(hello)"); return }
        #expect(facts.agent.bkHome == host.home)
        #expect(facts.agent.binarySHA256?.count == 64, "the agent hashes itself through /proc/self/exe")

        let spec = ServiceSpec(
            name: "job-health", command: ["/usr/bin/perl", "/srv/health-server.pl", Self.address, String(Self.port)],
            workingDirectory: "/srv",
            health: HealthCheckSpec(probe: .http(HTTPProbeSpec(url: "http://\(Self.hostName):\(Self.port)/actuator/health")),
                                    startGraceSeconds: 0, intervalSeconds: 0.5, timeoutSeconds: 2),
            stopTimeoutSeconds: 5, restart: RestartPolicy(initialBackoffSeconds: 0.5))
        let applied = try client.send(.apply(ApplyRequest(services: [spec])))
        #expect(applied.failure == nil, "\(applied)")

        let first = try client.waitFor("job-health running and healthy", timeout: 30) { status in
            status.services.contains { $0.state == .running && $0.health.state == .healthy }
        }.services[0]
        let pid = try #require(first.pid)

        kill(pid, SIGKILL)
        let second = try client.waitFor("job-health restarted and healthy again", timeout: 30) { status in
            status.services.contains { $0.restarts == 1 && $0.pid != pid && $0.state == .running && $0.health.state == .healthy }
        }.services[0]
        #expect(second.lastExit?.signal == SIGKILL)

        let stopped = try client.send(.stop(ControlRequest(services: ["job-health"], stopTimeoutSeconds: 5)))
        guard case .stop(let result) = stopped.body, let service = result.services.first else {
            Issue.record("stop failed: \(stopped)")
            return
        }
        #expect(service.state == .stopped)
        #expect(kill(second.pid!, 0) != 0, "the service process is gone")
    }
}
