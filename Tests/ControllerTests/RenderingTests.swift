import Testing
@testable import Controller

@Suite("Env files and templates")
struct RenderingTests {
    @Test("env files: comments, quotes, export, no expansion")
    func parsesEnv() throws {
        let env = try EnvFile.parse("""
            # actuator
            BK_JOB_ACTUATOR_USER=admin
            export BK_JOB_ACTUATOR_PASSWORD="s3cr et"
            HOME_DIR=$HOME

            PORT = 10505
            """, path: "job.env")
        #expect(env.values["BK_JOB_ACTUATOR_USER"] == "admin")
        #expect(env.values["BK_JOB_ACTUATOR_PASSWORD"] == "s3cr et")
        #expect(env.values["HOME_DIR"] == "$HOME")
        #expect(env.values["PORT"] == "10505")
        #expect(env.lines["PORT"] == 6)
    }

    @Test("bad env lines are reported together with their line numbers")
    func rejectsBadEnv() throws {
        let error = try #require(throws: ConfigError.self) {
            try EnvFile.parse("GOOD=1\nno equals here\nlower=2\nGOOD=3\n", path: "job.env")
        }
        #expect(error.issues.map(\.line) == [2, 3, 4])
        #expect(error.description.contains("job.env:4: GOOD: is already set on line 1"))
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
