import Foundation
import Testing
@testable import Agent
#if canImport(Glibc)
import Glibc
#endif

/// Giving a log directory to a service's account: its own regular files go with it, nothing a
/// link or a second hard link reaches does. Needs root (only root can give files away).
@Suite("A log directory given to a service's account", .enabled(if: geteuid() == 0))
struct LogDirectoryOwnerTests {
    @Test("single-name files change owner; links, hard-linked files and kept names do not")
    func givesOnlyItsOwnFiles() throws {
        let home = try TempHome()
        let dir = "\(home.path)/logs"
        let outside = "\(home.path)/outside"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        for name in ["service.log", "console.log"] { try "x\n".write(toFile: "\(dir)/\(name)", atomically: false, encoding: .utf8) }
        try "root\n".write(toFile: "\(outside)/secret", atomically: false, encoding: .utf8)
        try "root\n".write(toFile: "\(outside)/linked", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/to-secret", withDestinationPath: "\(outside)/secret")
        #expect(link("\(outside)/linked", "\(dir)/hard") == 0)

        let handle = try DirectoryHandle.open(dir)
        handle.setOwnerOfFiles(uid: 65534, gid: 65534, except: ["console.log"])
        try handle.setOwner(uid: 65534, gid: 65534)

        func owner(_ path: String) throws -> Int {
            var info = stat()
            #expect(lstat(path, &info) == 0)
            return Int(info.st_uid)
        }
        #expect(try owner("\(dir)/service.log") == 65534)
        #expect(try owner(dir) == 65534)
        #expect(try owner("\(dir)/console.log") == 0, "kept: the agent's own file")
        #expect(try owner("\(outside)/secret") == 0, "a link is not followed")
        #expect(try owner("\(outside)/linked") == 0, "a file with a second name is left alone")
    }
}
