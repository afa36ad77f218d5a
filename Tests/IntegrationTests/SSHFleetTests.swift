import Controller
import Foundation
import Testing
import TestSupport

extension SSHIntegration {
    @Suite("Many hosts")
    final class ManyHosts {
        let fleet: SSHFleet
        init() throws { fleet = try SSHFleet() }

        @Test("with one sshd stopped, exec across 5 hosts returns 4 results and 1 clear timeout")
        func stoppedListener() async throws {
            let frozen = fleet.hosts[2]
            try fleet.freeze(frozen)
            defer { fleet.thaw() }
            let targets = fleet.hosts.map { fleet.target($0, connectTimeout: .seconds(3), commandTimeout: .seconds(3)) }
            let clock = ContinuousClock()
            let start = clock.now
            let outcomes = await HostFanOut(forks: 5).run(targets) {
                try await $0.exec(RemoteCommand(shell: "echo $JOBFLEET_SANDBOX_HOST"))
            }
            print("exec across 5 hosts with \(frozen.name) stopped returned after \(clock.now - start)")
            for outcome in outcomes where outcome.target.name != frozen.name {
                #expect((try? outcome.result.get())?.stdoutText == "\(outcome.target.name)\n")
            }
            let failure = try #require(outcomes.first { $0.target.name == frozen.name })
            guard case .failure(let error as SSHError) = failure.result else {
                Issue.record("\(frozen.name) did not fail with an SSH error: \(failure.result)")
                return
            }
            #expect(error.kind == .timedOut)
            #expect(error.host == "\(frozen.name) (\(frozen.address):\(frozen.port))")
            #expect(error.message.contains("3s") && error.message.contains("handshake"))
        }

        @Test("with one host's sshd and sessions stopped, commands on open sessions give 4 results and 1 timeout")
        func stoppedSession() async throws {
            var connections: [LibSSH2Connection] = []
            for host in fleet.hosts { connections.append(try await fleet.connect(host)) }
            defer { for connection in connections { Task { await connection.close() } } }
            let frozen = fleet.hosts[4]
            try fleet.freeze(frozen, sessions: true)
            defer { fleet.thaw() }
            let results = await withTaskGroup(of: (String, Result<ExecResult, any Error>).self) { group in
                for connection in connections {
                    group.addTask {
                        do {
                            return (connection.target.name, .success(try await connection.exec(RemoteCommand("true"), timeout: .seconds(2))))
                        } catch {
                            return (connection.target.name, .failure(error))
                        }
                    }
                }
                var collected: [String: Result<ExecResult, any Error>] = [:]
                for await (name, result) in group { collected[name] = result }
                return collected
            }
            for host in fleet.hosts where host.name != frozen.name {
                #expect((try? results[host.name]?.get())?.succeeded == true, "\(host.name)")
            }
            guard case .failure(let error as SSHError)? = results[frozen.name] else {
                Issue.record("\(frozen.name) did not time out")
                return
            }
            #expect(error.kind == .timedOut)
            #expect(error.hint?.contains("--timeout") == true)
        }

        @Test("a closed port fails fast with a clear message")
        func closedPort() async throws {
            let host = fleet.hosts[0]
            let target = fleet.target(name: host.name, address: host.address, port: 1)
            let error = try await fleet.connectionError(target)
            #expect(error.kind == .connectionRefused)
            #expect(error.description == "\(host.name) (\(host.address):1): connection refused: nothing listens on port 1; check that sshd runs on the host and that the manifest has the right port")
        }

        @Test("jobfleet exits without OpenSSL's exit-time cleanup, which raced closing sessions")
        func noOpenSSLExitHandler() throws {
            let jobfleet = JobFleetCLI.binary
            try #require(FileManager.default.isExecutableFile(atPath: jobfleet), "build the jobfleet executable first (swift build)")
            // An interposed __cxa_atexit writes down the name of every exit handler registered.
            let compiler = try #require(Prerequisites.find("cc") ?? Prerequisites.find("clang"), "a C compiler")
            let source = "\(fleet.scratch)/exit-handlers.c", library = "\(fleet.scratch)/exit-handlers.so"
            try Self.exitHandlerRecorder.write(toFile: source, atomically: true, encoding: .utf8)
            let build = try Command.run(compiler, ["-shared", "-fPIC", "-o", library, source, "-ldl"])
            try #require(build.succeeded, "\(build.stderr)")
            func handlers(_ program: String, _ arguments: [String]) throws -> [String] {
                let log = "\(fleet.scratch)/handlers-\(UUID().uuidString)"
                let run = try Command.run(program, arguments, environment: ["LD_PRELOAD": library, "EXIT_HANDLER_LOG": log])
                #expect(run.succeeded, "\(program): \(run.stderr)")
                return (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
            }
            // The recorder sees OpenSSL's handler where it is registered: the openssl tool.
            #expect(try handlers("openssl", ["version"]).contains("OPENSSL_cleanup"))
            // jobfleet talks to every host (libssh2 and OpenSSL in use on five session
            // threads); its own handlers are recorded, OpenSSL's is not among them.
            let recorded = try handlers(jobfleet, ["exec", "-f", fleet.sandbox.manifestPath, "--", "true"])
            #expect(!recorded.isEmpty, "the recorder was not loaded into jobfleet")
            #expect(!recorded.contains("OPENSSL_cleanup"), "\(recorded)")
        }

        /// A preloadable library that appends the symbol name of each registered exit handler
        /// to the file named by EXIT_HANDLER_LOG.
        static let exitHandlerRecorder = """
            #define _GNU_SOURCE
            #include <dlfcn.h>
            #include <stdio.h>
            #include <stdlib.h>

            int __cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
                static int (*real)(void (*)(void *), void *, void *);
                if (!real) real = (int (*)(void (*)(void *), void *, void *))dlsym(RTLD_NEXT, "__cxa_atexit");
                Dl_info info;
                const char *path = getenv("EXIT_HANDLER_LOG");
                if (path && dladdr((void *)fn, &info) && info.dli_sname) {
                    FILE *log = fopen(path, "a");
                    if (log) { fprintf(log, "%s\\n", info.dli_sname); fclose(log); }
                }
                return real(fn, arg, dso);
            }
            """

        @Test("jobfleet exec and copy work end to end on the sandbox manifest")
        func commandLine() throws {
            let jobfleet = JobFleetCLI.binary
            try #require(FileManager.default.isExecutableFile(atPath: jobfleet), "build the jobfleet executable first (swift build)")
            let manifest = fleet.sandbox.manifestPath

            let exec = try Command.run(jobfleet, ["exec", "-f", manifest, "--json", "--", "echo $JOBFLEET_SANDBOX_HOST"])
            #expect(exec.status == 0, "\(exec.stderr)")
            let records = try exec.stdout.split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
            #expect(records.count == 5)
            for record in records {
                #expect(record["ok"] as? Bool == true)
                #expect(record["stdout"] as? String == "\(record["host"] as? String ?? "?")\n")
                #expect(record["exit_status"] as? Int == 0)
            }

            let failing = try Command.run(jobfleet, ["exec", "-f", manifest, "--hosts", "h1,h2", "--", "test $JOBFLEET_SANDBOX_HOST = h1"])
            #expect(failing.status == 1)
            #expect(failing.stdout.contains("== h2 (") && failing.stdout.contains("exit 1"))

            let locals = ["copied.txt", "second.txt"].map { "\(fleet.scratch)/\($0)" }
            for local in locals { try "\(local)\n".write(toFile: local, atomically: true, encoding: .utf8) }
            let copy = try Command.run(jobfleet, ["copy", "-f", manifest, "--hosts", "h2,h3", "--mode", "0640"] + locals + ["job/support-files/"])
            #expect(copy.status == 0, "\(copy.stdout)\(copy.stderr)")
            for host in fleet.hosts {
                for local in locals {
                    let path = "\(host.bkHome)/job/support-files/\((local as NSString).lastPathComponent)"
                    let copied = try? String(contentsOfFile: path, encoding: .utf8)
                    #expect(copied == (["h2", "h3"].contains(host.name) ? "\(local)\n" : nil), "\(host.name)")
                }
            }
        }
    }
}
