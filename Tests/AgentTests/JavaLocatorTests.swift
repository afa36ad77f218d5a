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

    @Test("a folder or a missing file is not a java program")
    func executable() {
        #expect(!JavaLocator.executable("/"))
        #expect(!JavaLocator.executable("/nonexistent/bin/java"))
        #expect(JavaLocator.executable("/bin/sh"))
    }
}
