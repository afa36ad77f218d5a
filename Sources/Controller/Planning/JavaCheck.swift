import Shared

/// Whether each host's java can run the release, before anything is changed: the catalog
/// states the Java of the release's line (`java_runtime`), the agent reports in `hello` which
/// java a service will get (`HostFacts.javaPath`, found as bk-job's ops script finds it) and
/// its version.
public enum JavaCheck {
    /// One reason per instance on the host that its java cannot run the line; empty when all
    /// can, when the catalog states no Java, or when the agent did not report its search
    /// (`facts` nil or without `javaPath`). Instances whose catalog `java` is a path of its own
    /// are the operator's choice and not judged: the agent reported another program.
    public static func problems(instances: [DesiredInstance], facts: HostFacts?, runtime: JavaRuntime?,
                                version: String?) -> [String] {
        guard let runtime, let facts, let path = facts.javaPath else { return [] }
        guard let problem = runtime.problem(found: facts.javaVersion) else { return [] }
        let found = facts.javaVersion == nil ? "\(problem) (\(facts.javaError ?? "looked in \(searched(facts))"))"
                                             : "\(problem) at \(path) (from \(facts.javaSource ?? "?"))"
        let release = version.map { "release \($0)" } ?? "this release"
        return instances.filter { $0.spec.command.first == "java" }.map {
            "\($0.service): \(found); \(release) needs \(runtime.needs). Install it as $BK_HOME/service/java "
                + "(or common/java), or point the host's java_home at one, then plan again"
        }
    }

    /// The `Java` cell of `doctor` for one service: which program, from where, which version.
    public static func describe(_ facts: HostFacts) -> String {
        let program = facts.javaPath ?? "java"
        let version = facts.javaVersion.map { v in "\(v) (Java \(JavaMajor.of(v).map(String.init) ?? "?"))" } ?? "no version"
        return "\(program) from \(facts.javaSource ?? "PATH"): \(version)"
    }

    private static func searched(_ facts: HostFacts) -> String { facts.javaSource ?? "PATH" }
}
