import Controller
import Foundation
import Testing
import TestSupport

extension SSHIntegration {
    @Suite("Remote commands")
    final class Exec {
        let fleet: SSHFleet
        init() throws { fleet = try SSHFleet() }

        @Test("5 MB on stdout and 5 MB on stderr at once both arrive whole")
        func largeOutput() async throws {
            let connection = try await fleet.connect(fleet.hosts[0])
            defer { Task { await connection.close() } }
            let script = "head -c 5000000 /dev/zero | tr '\\0' o & head -c 5000000 /dev/zero | tr '\\0' e >&2; wait"
            let result = try await connection.exec(RemoteCommand(shell: script))
            #expect(result.succeeded)
            #expect(result.stdout.count == 5_000_000 && result.stdout.allSatisfy { $0 == UInt8(ascii: "o") })
            #expect(result.stderr.count == 5_000_000 && result.stderr.allSatisfy { $0 == UInt8(ascii: "e") })
        }

        @Test("exit 3 and a command killed by SIGTERM are told apart")
        func exitStatusAndSignal() async throws {
            let connection = try await fleet.connect(fleet.hosts[1])
            defer { Task { await connection.close() } }
            let exited = try await connection.exec(RemoteCommand(shell: "echo out; echo err >&2; exit 3"))
            #expect(exited.status == .exited(3))
            #expect(exited.stdoutText == "out\n" && exited.stderrText == "err\n")
            let killed = try await connection.exec(RemoteCommand(shell: "kill -TERM $$"))
            #expect(killed.status == .signaled("TERM"))
            #expect(killed.status.description == "killed by SIGTERM")
            #expect(!killed.succeeded)
        }

        @Test("one session serves many commands; standard input is empty")
        func reuse() async throws {
            let connection = try await fleet.connect(fleet.hosts[2])
            defer { Task { await connection.close() } }
            for index in 0..<30 {
                let result = try await connection.exec(RemoteCommand("echo", "run \(index)"))
                #expect(result.stdoutText == "run \(index)\n")
            }
            let stdin = try await connection.exec(RemoteCommand("cat"), timeout: .seconds(5))
            #expect(stdin.succeeded && stdin.stdout.isEmpty)
        }

        @Test("a command that outlives its timeout is reported as a timeout naming the setting")
        func commandTimeout() async throws {
            let connection = try await fleet.connect(fleet.hosts[3])
            defer { Task { await connection.close() } }
            await #expect {
                _ = try await connection.exec(RemoteCommand("sleep", "30"), timeout: .seconds(1))
            } throws: { error in
                guard let error = error as? SSHError else { return false }
                return error.kind == .timedOut && error.message.contains("1s") && error.hint?.contains("--timeout") == true
            }
        }

        @Test("a stream carries lines both ways and reports the command's exit and stderr")
        func stream() async throws {
            let connection = try await fleet.connect(fleet.hosts[4])
            defer { Task { await connection.close() } }
            let stream = try await connection.openStream(RemoteCommand(shell: "while read -r line; do echo \"got $line\"; done; echo bye >&2; exit 4"))
            for index in 0..<100 {
                try await stream.write(line: "{\"id\":\(index)}")
                #expect(try await stream.readLine() == "got {\"id\":\(index)}")
            }
            try await stream.finishWriting()
            #expect(try await stream.readLine() == nil)
            let outcome = try await stream.close()
            #expect(outcome.status == .exited(4))
            #expect(outcome.stderrTail == "bye\n")
            // The session is still good for other work afterwards.
            #expect(try await connection.exec(RemoteCommand("true")).succeeded)
        }
    }
}
