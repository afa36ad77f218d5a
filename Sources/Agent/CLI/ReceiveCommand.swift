import ArgumentParser
import FoundationEssentials
import Shared
#if canImport(Glibc)
import Glibc
#endif

/// `jobfleet-agent receive`: places files sent as chunks, the controller's upload path for
/// release jars. Runs over the SSH channel that started it (stdin: frames, stdout: JSON
/// lines), as the login user, without the daemon; opens no port.
struct ReceiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Place files sent as content-addressed chunks on stdin; report on stdout.",
        discussion: "Chunks are kept under BK_HOME/.jobfleet/chunks; chunks no retained file uses are removed.")

    @OptionGroup var options: HomeOptions

    func run() throws {
        // A cut connection closes stdout too: a reply written then must fail, not kill the
        // process before it has removed what it left half-done.
        signal(SIGPIPE, SIG_IGN)
        let encoder = JSONEncoder()
        let reply: (ReceiveReply) -> Void = { message in
            guard let bytes = try? encoder.encode(message) else { return }
            try? FileIO.writeAll(1, Array(bytes) + [10])
        }
        let receiver = ChunkReceiver(paths: AgentPaths(home: options.home), input: FrameReader(fd: 0), reply: reply)
        do {
            try receiver.run()
        } catch {
            reply(ReceiveReply(error: "\(error)"))
            FileHandleLike.standardError("jobfleet-agent receive: \(error)\n")
            throw ExitCode(1)
        }
    }
}
