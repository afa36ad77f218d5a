import Foundation
import Testing
@testable import Agent

/// Which java a service runs: bk-job's ops script order, then the manifest's java_home, then PATH.
@Suite struct JavaLocatorTests {
    let home = "/data/bkee"

    @Test("service/java wins over common/java, which wins over java_home, which wins over PATH")
    func order() {
        let all: Set = ["/data/bkee/service/java/bin/java", "/data/bkee/common/java/bin/java", "/opt/jdk8/bin/java"]
        func found(_ present: Set<String>) -> JavaLocator.Found {
            JavaLocator.locate(bkHome: home, javaHome: "/opt/jdk8/", isExecutable: present.contains)
        }
        #expect(found(all) == .init(program: "/data/bkee/service/java/bin/java", source: .serviceJava))
        #expect(found(all.subtracting(["/data/bkee/service/java/bin/java"]))
                == .init(program: "/data/bkee/common/java/bin/java", source: .commonJava))
        #expect(found(["/opt/jdk8/bin/java"]) == .init(program: "/opt/jdk8/bin/java", source: .javaHome))
        #expect(found([]) == .init(program: "java", source: .path))
    }

    @Test("without java_home the search goes from BK_HOME straight to PATH")
    func noJavaHome() {
        #expect(JavaLocator.candidates(bkHome: home, javaHome: nil).map(\.source) == [.serviceJava, .commonJava, .path])
        #expect(JavaLocator.candidates(bkHome: home, javaHome: "").map(\.source) == [.serviceJava, .commonJava, .path])
    }

    @Test("only a bare java is replaced; an explicit program is the operator's choice")
    func resolve() {
        let present: Set = ["/data/bkee/common/java/bin/java"]
        let command = ["java", "-Xmx1g", "-jar", "job-manage.jar"]
        #expect(JavaLocator.resolve(command, bkHome: home, javaHome: nil, isExecutable: present.contains)
                == ["/data/bkee/common/java/bin/java", "-Xmx1g", "-jar", "job-manage.jar"])
        #expect(JavaLocator.resolve(command, bkHome: home, javaHome: nil, isExecutable: { _ in false }) == command)
        let explicit = ["/usr/lib/jvm/java-17/bin/java", "-jar", "x.jar"]
        #expect(JavaLocator.resolve(explicit, bkHome: home, javaHome: nil, isExecutable: present.contains) == explicit)
        #expect(JavaLocator.resolve(["sleep", "9"], bkHome: home, javaHome: nil, isExecutable: { _ in true }) == ["sleep", "9"])
    }

    @Test("under BK_HOME a java in a folder others may write is not trusted; a link stops the check")
    func trust() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("java-trust-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let bin = "\(home)/service/java/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(toFile: "\(bin)/java", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(bin)/java")
        #expect(JavaLocator.trusted("\(bin)/java", under: home))
        #expect(JavaLocator.locate(bkHome: home, javaHome: nil).source == .serviceJava)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: "\(home)/service")
        #expect(!JavaLocator.trusted("\(bin)/java", under: home))
        #expect(JavaLocator.locate(bkHome: home, javaHome: nil).source == .path, "an untrusted service/java is passed over")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(home)/service")
        // common/java as a link to a JDK elsewhere: the link is in a trusted folder, its target is the operator's.
        try FileManager.default.createDirectory(atPath: "\(home)/common", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(home)/common/java", withDestinationPath: "\(home)/service/java")
        #expect(JavaLocator.trusted("\(home)/common/java/bin/java", under: home))
        #expect(!JavaLocator.trusted("/usr/bin/java", under: home))
    }

    @Test("a folder or a missing file is not a java program")
    func executable() {
        #expect(!JavaLocator.executable("/"))
        #expect(!JavaLocator.executable("/nonexistent/bin/java"))
        #expect(JavaLocator.executable("/bin/sh"))
    }
}
