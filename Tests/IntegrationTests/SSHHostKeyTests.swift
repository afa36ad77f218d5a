@testable import Controller
import Foundation
import Testing
import TestSupport

extension SSHIntegration {
    @Suite("Host keys")
    final class HostKeys {
        let fleet: SSHFleet
        init() throws { fleet = try SSHFleet() }

        @Test("an unknown host key is refused with its SHA256 fingerprint and how to trust it; known_hosts is untouched")
        func unknownRefused() async throws {
            let host = fleet.hosts[0]
            let empty = fleet.knownHosts("empty", "")
            let error = try await fleet.connectionError(fleet.target(host, knownHosts: empty))
            let fingerprint = try fleet.fingerprint(host)
            #expect(error.kind == .hostKeyUnknown)
            #expect(error.fingerprint == fingerprint)
            #expect(error.description.contains(fingerprint))
            #expect(error.description.contains(host.name) && error.description.contains(host.address))
            #expect(error.hint?.contains("ssh-keyscan") == true && error.hint?.contains("accept-new") == true)
            #expect(try String(contentsOfFile: empty, encoding: .utf8).isEmpty)
        }

        @Test("a changed host key is refused loudly, under strict and accept-new alike, and never overwritten")
        func changedRefused() async throws {
            let host = fleet.hosts[1]
            let impostor = try fleet.generateKey("impostor", type: "ed25519")
            let impostorKey = try String(contentsOfFile: impostor + ".pub", encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            let text = "\(host.address) \(impostorKey)\n"
            let file = fleet.knownHosts("changed", text)
            for policy in HostKeyPolicy.allCases {
                let error = try await fleet.connectionError(fleet.target(host, knownHosts: file, policy: policy))
                #expect(error.kind == .hostKeyChanged, "\(policy)")
                #expect(error.message.contains("HOST KEY CHANGED"))
                #expect(error.fingerprint == (try fleet.fingerprint(host)))
                #expect(error.hint?.contains("ssh-keygen -R") == true)
                #expect(try String(contentsOfFile: file, encoding: .utf8) == text, "known_hosts must not change")
            }
        }

        @Test("accept-new records exactly one line, which OpenSSH then accepts under strict checking")
        func acceptNew() async throws {
            let host = fleet.hosts[2]
            let file = fleet.knownHosts("accept-new", "# operator's notes, no newline at the end")
            let connection = try await LibSSH2Connection.connect(to: fleet.target(host, knownHosts: file, policy: .acceptNew))
            #expect(try await connection.exec(RemoteCommand("true")).succeeded)
            await connection.close()
            let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.last?.hasPrefix("\(host.address) ssh-ed25519 ") == true)
            let openssh = try fleet.sandbox.ssh(host, "true", knownHosts: file)
            #expect(openssh.succeeded, "ssh -o StrictHostKeyChecking=yes refused the recorded line: \(openssh.stderr)")

            // Known now: strict accepts it and nothing more is written.
            let again = try await LibSSH2Connection.connect(to: fleet.target(host, knownHosts: file, policy: .strict))
            await again.close()
            #expect(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count == 2)
        }

        @Test("accept-new judges known_hosts again under its lock: a key another run recorded meanwhile is never joined by a second")
        func acceptNewRace() async throws {
            let host = fleet.hosts[3]
            let file = fleet.knownHosts("accept-new-race", "")
            let impostor = try fleet.generateKey("race-impostor", type: "ed25519")
            let impostorKey = try String(contentsOfFile: impostor + ".pub", encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            // Another run records a different key for the host after this run read the file and
            // before it takes the lock to add its own.
            let planted = "\(host.address) \(impostorKey)\n"
            KnownHostsFile.beforeLock = { path in
                if path == file { try? planted.write(toFile: path, atomically: false, encoding: .utf8) }
            }
            defer { KnownHostsFile.beforeLock = nil }
            let error = try await fleet.connectionError(fleet.target(host, knownHosts: file, policy: .acceptNew))
            #expect(error.kind == .hostKeyChanged, "\(error)")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == planted, "a second key was recorded")

            // The same key recorded meanwhile: connected, and the line is not written twice.
            let own = try String(contentsOfFile: "\(fleet.sandbox.dir)/hosts/\(host.name)/etc/ssh_host_ed25519_key.pub", encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            let same = "\(host.address) \(own)\n"
            let again = fleet.knownHosts("accept-new-race-same", "")
            KnownHostsFile.beforeLock = { path in
                if path == again { try? same.write(toFile: path, atomically: false, encoding: .utf8) }
            }
            let connection = try await LibSSH2Connection.connect(to: fleet.target(host, knownHosts: again, policy: .acceptNew))
            await connection.close()
            #expect(try String(contentsOfFile: again, encoding: .utf8) == same)
        }

        @Test("hashed known_hosts entries are recognised")
        func hashedEntries() async throws {
            let file = "\(fleet.scratch)/hashed"
            try FileManager.default.copyItem(atPath: fleet.sandbox.knownHosts, toPath: file)
            let hashed = try Command.run("ssh-keygen", ["-H", "-f", file])
            #expect(hashed.succeeded, "\(hashed.stderr)")
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("|1|") })
            for host in fleet.hosts {
                let connection = try await LibSSH2Connection.connect(to: fleet.target(host, knownHosts: file))
                await connection.close()
            }
        }

        @Test("a key marked @revoked is refused even when it is also listed as known")
        func revoked() async throws {
            let host = fleet.hosts[3]
            let key = try String(contentsOfFile: "\(fleet.sandbox.dir)/hosts/\(host.name)/etc/ssh_host_ed25519_key.pub", encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            let known = try String(contentsOfFile: fleet.sandbox.knownHosts, encoding: .utf8)
            let file = fleet.knownHosts("revoked", "@revoked * \(key)\n" + known)
            let error = try await fleet.connectionError(fleet.target(host, knownHosts: file))
            #expect(error.kind == .hostKeyRevoked)
        }

        @Test("a host known only by a key of another type is refused, not trusted as new")
        func otherTypeOnly() async throws {
            let host = fleet.hosts[4]
            let ecdsaOnly = try String(contentsOfFile: fleet.sandbox.knownHosts, encoding: .utf8)
                .split(separator: "\n").filter { !$0.contains("ssh-ed25519") }.joined(separator: "\n") + "\n"
            let file = fleet.knownHosts("ecdsa-only", ecdsaOnly)
            let error = try await fleet.connectionError(fleet.target(host, knownHosts: file, policy: .acceptNew))
            #expect(error.kind == .hostKeyChanged)
            #expect(error.message.contains("other types"))
            #expect(try String(contentsOfFile: file, encoding: .utf8) == ecdsaOnly)
        }

        @Test("[host]:port entries are used for a host on another port, and accept-new writes that form")
        func nonStandardPort() async throws {
            // A second, one-host sandbox on port 2222 (on a network of its own: its host's Consul
            // agent takes ports that follow from the network).
            let other = Sandbox(dir: fleet.sandbox.dir + "-port", network: "127.0.33")
            defer { _ = try? other.down() }
            var environment = other.environment
            environment["JOBFLEET_SANDBOX_PORT"] = "2222"
            let up = try Command.run("/bin/bash", [Sandbox.script, "up", "1"], environment: environment)
            #expect(up.succeeded, "\(up.stderr)")
            let known = try String(contentsOfFile: "\(other.dir)/known_hosts", encoding: .utf8)
            #expect(known.hasPrefix("[\(other.network).11]:2222 "))
            let address = "\(other.network).11"
            let strict = try await LibSSH2Connection.connect(to: fleet.target(
                name: "h1", address: address, port: 2222, identity: ["\(other.dir)/id_ed25519"],
                knownHosts: "\(other.dir)/known_hosts"))
            await strict.close()

            let file = fleet.knownHosts("port-accept-new", "")
            let recorded = try await LibSSH2Connection.connect(to: fleet.target(
                name: "h1", address: address, port: 2222, identity: ["\(other.dir)/id_ed25519"],
                knownHosts: file, policy: .acceptNew))
            await recorded.close()
            #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("[\(address)]:2222 ssh-ed25519 "))
        }
    }
}
