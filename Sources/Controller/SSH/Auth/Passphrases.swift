import Foundation

/// Passphrases of protected key files: from an environment variable, or asked once on the
/// terminal, then remembered for the life of the process so a fleet of 200 hosts asks once.
final class Passphrases: @unchecked Sendable {
    /// The process-wide store; its lock also keeps two hosts from prompting at once.
    static let shared = Passphrases()

    private let lock = NSLock()
    private var known: [String: String] = [:]

    /// The passphrase for the key at `path`, asking on the terminal at most once.
    func passphrase(forKeyAt path: String, authentication: SSHAuthentication,
                    environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let value = known[path] { return value }
        if let value = environment[authentication.passphraseVariable] {
            known[path] = value
            return value
        }
        if authentication.promptOnTerminal, let value = Terminal.readSecret(prompt: "Enter passphrase for \(path): ") {
            known[path] = value
            return value
        }
        throw IdentityError.passphraseUnavailable(path: path, variable: authentication.passphraseVariable)
    }

    /// Asks now for every protected identity file, so that prompts happen before connections
    /// start and no connect deadline runs while the operator types.
    func prepare(_ authentication: SSHAuthentication) throws {
        for path in authentication.identityFiles {
            if let info = try PrivateKeyInfo.read(path: path), info.isEncrypted {
                _ = try passphrase(forKeyAt: path, authentication: authentication)
            }
        }
    }
}

/// The controlling terminal, for the one thing read from it: a secret, without echo.
enum Terminal {
    /// Reads a line from `/dev/tty` with echo off; nil when there is no terminal.
    static func readSecret(prompt: String) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        _ = tcsetattr(fd, TCSAFLUSH, &silent)
        defer {
            _ = tcsetattr(fd, TCSAFLUSH, &saved)
            _ = write(fd, "\n", 1)
        }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
