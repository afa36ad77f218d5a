import Foundation
import Shared

/// The agent binary the controller ships to hosts, and where it goes there.
public struct AgentBinary: Sendable {
    /// The binary on the controller's machine.
    public var localPath: String
    public var sha256: String
    public var size: UInt64

    /// `$JOBFLEET_AGENT_BINARY`, else `jobfleet-agent` beside the running `jobfleet`. Its digest
    /// comes from `checksums` (remembered by size, mtime and inode) when given.
    public static func locate(checksums: ChecksumCache? = nil) throws -> AgentBinary {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = env["JOBFLEET_AGENT_BINARY"], !explicit.isEmpty { candidates.append(explicit) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(((exe as NSString).deletingLastPathComponent as NSString).appendingPathComponent("jobfleet-agent"))
        }
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
            let (sha256, size) = try (checksums ?? ChecksumCache()).sha256(of: path)
            return AgentBinary(localPath: path, sha256: sha256, size: size)
        }
        throw HostFailure(host: "controller", message: """
            cannot find the jobfleet-agent binary to install on hosts (looked at \(candidates.joined(separator: ", "))); \
            build it as the README says (swift build -c release --product jobfleet-agent --static-swift-stdlib -Xswiftc -static-executable -Xlinker -s) and set JOBFLEET_AGENT_BINARY
            """)
    }

    /// `$BK_HOME/.jobfleet/bin/jobfleet-agent` on `host`.
    public static func remotePath(on host: FleetManifest.Host) -> String {
        "\(host.bkHome)/.jobfleet/bin/jobfleet-agent"
    }
}
