import Foundation
import Testing
@testable import Controller

@Suite("Env files and templates")
struct RenderingTests {
    @Test("env files read as bash sources them: comments, quotes, export, escapes")
    func parsesEnv() throws {
        let env = try EnvFile.parse(#"""
            # actuator
            BK_JOB_ACTUATOR_USER=admin
            export BK_JOB_ACTUATOR_PASSWORD="s3cr et"
            LITERAL='$HOME and `x` stay'
            ESCAPED=a\ b\$c
            PRICE=5$ # a comment after a space
            HASH=a#b

            PORT=10505
            """#, path: "job.env")
        #expect(env.values["BK_JOB_ACTUATOR_USER"] == "admin")
        #expect(env.values["BK_JOB_ACTUATOR_PASSWORD"] == "s3cr et")
        #expect(env.values["LITERAL"] == "$HOME and `x` stay")
        #expect(env.values["ESCAPED"] == "a b$c")
        #expect(env.values["PRICE"] == "5$")
        #expect(env.values["HASH"] == "a#b")
        #expect(env.values["PORT"] == "10505")
        #expect(env.lines["PORT"] == 9)
        #expect(env.warnings.isEmpty)
    }

    @Test("$NAME and ${NAME} expand to what an earlier line or file set; a later file wins")
    func expands() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobfleet-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "BK_DOMAIN=bk.example.com\nBK_JOB_GATEWAY_SERVER_HTTP_PORT=1\nBK_HOME=/data/bkee\n".write(toFile: "\(dir.path)/global.env", atomically: true, encoding: .utf8)
        try #"""
            BK_HOME=
            BK_JOB_GATEWAY_SERVER_HTTP_PORT=10506
            BK_JOB_GATEWAY_URL=job-gateway.service.consul:$BK_JOB_GATEWAY_SERVER_HTTP_PORT
            BK_JOB_WEB_URL="http://job.${BK_DOMAIN}/"
            BK_JOB_LOG_DIR=$BK_HOME/logs/job
            BK_JOB_SELF=$LAN_IP:${HOST_NAME}
            """#.write(toFile: "\(dir.path)/job.env", atomically: true, encoding: .utf8)
        let env = try EnvFile.load(paths: ["\(dir.path)/global.env", "\(dir.path)/job.env"])
        #expect(env.values["BK_JOB_GATEWAY_URL"] == "job-gateway.service.consul:10506")
        #expect(env.values["BK_JOB_WEB_URL"] == "http://job.bk.example.com/")
        #expect(env.origins["BK_JOB_GATEWAY_SERVER_HTTP_PORT"] == .init(file: "\(dir.path)/job.env", line: 2))
        // The per-host keys are never taken from a file; a use of them is kept for each host.
        #expect(env.values["BK_HOME"] == nil)
        #expect(env.values["BK_JOB_LOG_DIR"] == "__BK_HOME__/logs/job")
        #expect(env.values["BK_JOB_SELF"] == "__LAN_IP__:__HOST_NAME__")
        #expect(env.warnings.map(\.description) == [
            "\(dir.path)/global.env:3: BK_HOME: is ignored: jobfleet sets BK_HOME for each host (hosts[].bk_home (or bk_home) in the manifest)",
        ])
        let host = FleetManifest.Host(name: "h1", address: "10.0.0.1", port: 22, bkHome: "/srv/bk", user: "root")
        let values = DesiredFleet.hostValues(host, env.values)
        #expect(values["BK_JOB_LOG_DIR"] == "/srv/bk/logs/job")
        #expect(values["BK_JOB_SELF"] == "10.0.0.1:h1")
        #expect(values["BK_HOME"] == "/srv/bk")
    }

    @Test("what a sourced env file could only do by running something is refused, with its line")
    func refusesShell() throws {
        let lines = [
            "A=$(hostname)", "B=`id`", "C=$((1+2))", "D=${X:-fallback}", "E=a b", "F=x;y", "G=\"open", "H='open",
            "I=$1", "J=ab\\", "K=$'a\\tb'",
        ]
        let error = try #require(throws: ConfigError.self) {
            try EnvFile.parse(lines.joined(separator: "\n"), path: "job.env")
        }
        #expect(error.issues.map(\.line) == Array(1...lines.count).map { Optional($0) })
        let text = error.description
        #expect(text.contains("job.env:1: A: runs a command ($(…) or $((…)))"))
        #expect(text.contains("job.env:2: B: runs a command (`…`)"))
        #expect(text.contains("job.env:4: D: '${X:-fallback}' is not a plain variable"))
        #expect(text.contains("job.env:5: E: has a space outside quotes"))
        #expect(text.contains("job.env:6: F: has ';' outside quotes"))
        #expect(text.contains("job.env:7: G: the double quote is not closed"))
        #expect(text.contains("job.env:9: I: uses the shell parameter '$1'"))
        #expect(text.contains("job.env:11: K: uses bash's $'…' quoting"))
    }

    @Test("a name no earlier line sets is an error naming it, or expands empty with a warning under undefined: empty")
    func undefinedNames() throws {
        let text = "URL=http://$BK_DOMAIN/job\n"
        let error = try #require(throws: ConfigError.self) { try EnvFile.parse(text, path: "job.env") }
        #expect(error.description.contains("job.env:1: URL: uses $BK_DOMAIN, which no env file sets before this line"))
        #expect(error.description.contains("release.undefined: empty"))
        let env = try EnvFile.parse(text, path: "job.env", undefined: .empty)
        #expect(env.values["URL"] == "http:///job")
        #expect(env.warnings.map(\.description) == ["job.env:1: URL: uses $BK_DOMAIN, which no env file sets before this line; it expands empty"])
    }

    @Test("bad env lines are reported together with their line numbers; a key set twice warns and the later wins")
    func rejectsBadEnv() throws {
        let error = try #require(throws: ConfigError.self) {
            try EnvFile.parse("GOOD=1\nno equals here\nlower=2\nPORT = 1\n", path: "job.env")
        }
        #expect(error.issues.map(\.line) == [2, 3, 4])
        #expect(error.description.contains("job.env:4: PORT: is not a valid key"))
        let twice = try EnvFile.parse("GOOD=1\nGOOD=3\n", path: "job.env")
        #expect(twice.values["GOOD"] == "3")
        #expect(twice.warnings.map(\.description) == ["job.env:2: GOOD: is set again (first on line 1); this later value is used, as bash would"])
    }

    @Test("a template renders every placeholder")
    func renders() throws {
        let template = Template(file: "application-manage.yml", text: """
            server:
              address: __LAN_IP__
              port: __BK_JOB_MANAGE_SERVER_PORT__
            url: http://__LAN_IP__:__BK_JOB_MANAGE_SERVER_PORT__/x__y
            """)
        let out = try template.render(["LAN_IP": "10.0.0.1", "BK_JOB_MANAGE_SERVER_PORT": "10505"])
        #expect(out.contains("address: 10.0.0.1"))
        #expect(out.contains("url: http://10.0.0.1:10505/x__y"))
        #expect(!out.contains("__LAN_IP__"))
    }

    @Test("a placeholder without a value names template, line and key")
    func missingValue() throws {
        let template = Template(file: "application-manage.yml", text: "a: 1\nport: __PORT__\nb: __OTHER_KEY__\n")
        let error = try #require(throws: ConfigError.self) { try template.render(["PORT": "1"]) }
        #expect(error.description == "application-manage.yml:3: OTHER_KEY: has no value: add OTHER_KEY=… to the env file")
    }

    @Test("secret values are hidden wherever they appear, longest first")
    func masksValues() {
        let mask = SecretMask(env: ["X_PASSWORD": "hunter22", "API_TOKEN": "hunter2", "USER": "admin"])
        #expect(mask("user=admin password=hunter22 token=hunter2 again hunter2") ==
                "user=admin password=****** token=****** again ******")
    }

    @Test("keys named SECURE, PRIVATE, AUTH, ending in _KEY, or listed in the manifest are secrets", arguments: [
        ("BK_JOB_TRACE_REPORT_SECURE_KEY", true), ("BK_JOB_SECURITY_PRIVATE_KEY_BASE64", true),
        ("BK_PAAS_APP_SECRET", true), ("BK_IAM_AUTH_CODE", true), ("BK_JOB_ENCRYPT_KEY", true),
        ("BK_JOB_SECURITY_PASSWORD", true), ("BK_JOB_MANAGE_SERVER_PORT", false), ("BK_JOB_KEYSTORE_PATH", false),
        ("BK_JOB_ESB_SIGN", false),
    ])
    func secretKeys(key: String, secret: Bool) {
        #expect(Secrets.isSecret(key) == secret)
        #expect(Secrets.isSecret("BK_JOB_ESB_SIGN", extra: ["BK_JOB_ESB_SIGN"]))
    }

    @Test("a URL's password is hidden in any value and any text; the rest of the URL stays")
    func masksURLPasswords() {
        let mask = SecretMask(env: ["BK_JOB_MONGODB_URI": "mongodb://job:Mongo-pass9@10.0.0.5:27017/joblog?authSource=admin"])
        #expect(mask.values == ["Mongo-pass9"])
        #expect(mask("uri: mongodb://job:Mongo-pass9@10.0.0.5:27017/joblog") == "uri: mongodb://job:******@10.0.0.5:27017/joblog")
        // The bare password elsewhere, and a URL the env never held.
        #expect(mask("password is Mongo-pass9") == "password is ******")
        #expect(SecretMask.urlsOnly("redis://:other-pass@cache:6379, http://host:8080/x")
                == "redis://:******@cache:6379, http://host:8080/x")
    }

    @Test("values too short or too common to hide by value are left to the diff's line masking")
    func shortValuesStay() {
        let mask = SecretMask(env: ["A_PASSWORD": "abc", "B_AUTH_ENABLED": "true", "C_TOKEN": "tok3n-long"])
        #expect(mask.values == ["tok3n-long"])
        #expect(mask("abc true tok3n-long") == "abc true ******")
    }
}
