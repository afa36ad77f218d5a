import Controller
import Foundation
import Testing
import TestSupport

extension SSHIntegration {
    @Suite("Authentication")
    final class Authentication {
        let fleet: SSHFleet
        init() throws { fleet = try SSHFleet() }

        /// Logs in with `target` and proves it with a command.
        func login(_ target: SSHTarget) async throws {
            let connection = try await LibSSH2Connection.connect(to: target)
            let result = try await connection.exec(RemoteCommand(shell: "echo $JOBFLEET_SANDBOX_HOST"))
            #expect(result.stdoutText == "\(target.name)\n")
            await connection.close()
        }

        @Test("ed25519 key files log in, without and with a passphrase (from the environment)")
        func ed25519() async throws {
            try await login(fleet.target(fleet.hosts[0]))

            let protected = try fleet.generateKey("id_protected", type: "ed25519", passphrase: "correct horse")
            try fleet.authorize(protected)
            let variable = "JOBFLEET_TEST_PASSPHRASE_ED25519"
            setenv(variable, "correct horse", 1)
            defer { unsetenv(variable) }
            try await login(fleet.target(fleet.hosts[1], identity: [protected], passphraseVariable: variable))
        }

        @Test("a wrong passphrase is reported as such")
        func wrongPassphrase() async throws {
            let protected = try fleet.generateKey("id_wrong", type: "ed25519", passphrase: "right")
            try fleet.authorize(protected)
            let variable = "JOBFLEET_TEST_PASSPHRASE_WRONG"
            setenv(variable, "wrong", 1)
            defer { unsetenv(variable) }
            let error = try await fleet.connectionError(fleet.target(fleet.hosts[0], identity: [protected], passphraseVariable: variable))
            #expect(error.kind == .identityUnusable)
            #expect(error.message.contains("wrong passphrase"))
        }

        @Test("ECDSA key files log in")
        func ecdsa() async throws {
            let key = try fleet.generateKey("id_ecdsa", type: "ecdsa", bits: 256)
            try fleet.authorize(key)
            try await login(fleet.target(fleet.hosts[2], identity: [key]))
        }

        @Test("keys held by a running ssh-agent log in")
        func agent() async throws {
            let key = try fleet.generateKey("id_agent", type: "ed25519", passphrase: "only the agent knows")
            try fleet.authorize(key)
            // ssh-add reads the passphrase from SSH_ASKPASS when there is no terminal.
            let askpass = "\(fleet.scratch)/askpass"
            try "#!/bin/sh\necho 'only the agent knows'\n".write(toFile: askpass, atomically: true, encoding: .utf8)
            chmod(askpass, 0o700)
            setenv("SSH_ASKPASS", askpass, 1)
            setenv("SSH_ASKPASS_REQUIRE", "force", 1)
            defer { unsetenv("SSH_ASKPASS"); unsetenv("SSH_ASKPASS_REQUIRE") }
            let socket = try fleet.startAgent(with: [key])
            try await login(fleet.target(fleet.hosts[3], identity: [], useAgent: true, agentSocket: socket))
        }

        @Test("an RSA key is refused with the libssh2 1.10 explanation and the fix, from a file and from the agent")
        func rsa() async throws {
            let key = try fleet.generateKey("id_rsa", type: "rsa", bits: 3072)
            try fleet.authorize(key)
            let fromFile = try await fleet.connectionError(fleet.target(fleet.hosts[4], identity: [key]))
            #expect(fromFile.kind == .authenticationFailed)
            #expect(fromFile.message.contains("libssh2 1.10") && fromFile.message.contains("SHA-1"))
            #expect(fromFile.hint?.contains("ed25519") == true)

            let socket = try fleet.startAgent(with: [key])
            let fromAgent = try await fleet.connectionError(fleet.target(fleet.hosts[4], identity: [], useAgent: true, agentSocket: socket))
            #expect(fromAgent.kind == .authenticationFailed)
            #expect(fromAgent.message.contains("libssh2 1.10"))
        }

        @Test("a key the host does not know is refused with the user and what to check")
        func unauthorized() async throws {
            let stranger = try fleet.generateKey("id_stranger", type: "ed25519")
            let error = try await fleet.connectionError(fleet.target(fleet.hosts[0], identity: [stranger]))
            #expect(error.kind == .authenticationFailed)
            #expect(error.message.contains(stranger))
            #expect(error.hint?.contains("authorized_keys") == true)
        }
    }
}
