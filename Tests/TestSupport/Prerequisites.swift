import Foundation

/// What the integration tests need from the machine, and what to do when it is missing.
///
/// Locally a missing tool turns the integration tests off with a message that says what to
/// install. With `CI=true` nothing is skipped: the same check fails the run instead.
public enum Prerequisites {
    /// True when running under CI, where integration tests must never be skipped.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? ""
        return value == "true" || value == "1" || value == "yes"
    }

    /// Tools the sandbox and the stand-in services need, with the Debian package that provides each.
    public static let required: [(tool: String, package: String)] = [
        ("/usr/sbin/sshd", "openssh-server"),
        ("ssh-keygen", "openssh-client"),
        ("ssh", "openssh-client"),
        ("java", "a headless JDK (openjdk-17-jdk-headless)"),
        ("javac", "a headless JDK (openjdk-17-jdk-headless)"),
        ("jar", "a headless JDK (openjdk-17-jdk-headless)"),
        ("consul", "consul (Debian 11's package; scripts/bootstrap adds it)"),
    ]

    /// The missing tools, each with the package to install; empty when all are present.
    public static func missing() -> [String] {
        required.compactMap { tool, package in
            find(tool) == nil ? "\(tool) (install \(package), or run scripts/bootstrap)" : nil
        }
    }

    /// True when the integration tests can run here.
    public static var available: Bool { missing().isEmpty }

    /// Use as the condition of `.enabled(if:)`: true when the tools are present, and also in
    /// CI, so that there the test runs and fails loudly instead of being skipped.
    public static var runIntegration: Bool {
        if isCI { return true }
        let gaps = missing()
        if !gaps.isEmpty {
            FileHandle.standardError.write(Data(
                "integration tests skipped: missing \(gaps.joined(separator: ", "))\n".utf8))
        }
        return gaps.isEmpty
    }

    /// Throws in CI (or anywhere) when a required tool is missing, naming each one.
    public static func require() throws {
        let gaps = missing()
        if !gaps.isEmpty {
            throw SandboxError(message: "integration tests need: \(gaps.joined(separator: ", "))")
        }
    }

    /// Finds an executable by absolute path or on PATH.
    public static func find(_ tool: String) -> String? {
        let fm = FileManager.default
        if tool.hasPrefix("/") { return fm.isExecutableFile(atPath: tool) ? tool : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
