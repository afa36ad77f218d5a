import Testing
@testable import Controller

@Suite("Fleet manifest")
struct FleetManifestTests {
    static let valid = """
        name: bk-job-prod
        bk_home: /data/bkee
        ssh:
          user: root
          identity: /keys/id_ed25519
          known_hosts: /keys/known_hosts
          host_keys: accept-new
          connect_timeout: 5s
        hosts:
          - { name: job-1, address: 10.0.0.11 }
          - { name: job-2, address: 10.0.0.12, port: 2222, bk_home: /srv/bkee }
        release:
          dir: ./bk-job-3.9.0
          env: ./job.env
          secret_keys: [BK_JOB_ESB_SIGN]
        catalog: deploy/bk-job/catalog.yaml
        services:
          job-config: [job-1]
          job-execute: [job-1, job-2]
        """

    @Test("a valid manifest loads with defaults filled in")
    func loadsValid() throws {
        let manifest = try FleetManifest.parse(yaml: Self.valid, path: "/etc/fleet/fleet.yaml")
        #expect(manifest.name == "bk-job-prod")
        #expect(manifest.hosts.map(\.name) == ["job-1", "job-2"])
        #expect(manifest.hosts[0].port == 22)
        #expect(manifest.hosts[0].bkHome == "/data/bkee")
        #expect(manifest.hosts[1].port == 2222)
        #expect(manifest.hosts[1].bkHome == "/srv/bkee")
        #expect(manifest.hosts[1].user == "root")
        #expect(manifest.ssh.hostKeys == .acceptNew)
        #expect(manifest.ssh.connectTimeout == .seconds(5))
        #expect(manifest.ssh.identities == ["/keys/id_ed25519"])
        #expect(manifest.release?.dir == "/etc/fleet/bk-job-3.9.0")
        #expect(manifest.release?.envFiles == ["/etc/fleet/job.env"])
        #expect(manifest.release?.secretKeys == ["BK_JOB_ESB_SIGN"])
        #expect(manifest.catalogPath == "/etc/fleet/deploy/bk-job/catalog.yaml")
        #expect(manifest.hosts(of: "job-execute").map(\.name) == ["job-1", "job-2"])
    }

    /// A malformed manifest, the line the error must point at, and words the message must hold.
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var yaml: String
        var line: Int
        var fragments: [String]
        var testDescription: String { label }
    }

    static let malformed: [Case] = [
        Case(label: "YAML syntax error", yaml: "name: x\nhosts: [\n  - a: b\n", line: 3, fragments: ["not valid YAML"]),
        Case(label: "top level is a list", yaml: "- a\n- b\n", line: 1, fragments: ["must be a mapping"]),
        Case(label: "unknown top-level key", yaml: "name: x\nhostz: []\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 2, fragments: ["hostz", "not a known field"]),
        Case(label: "missing name", yaml: "hosts:\n  - {name: a, address: 1.2.3.4}\n", line: 1, fragments: ["name", "required"]),
        Case(label: "host without address", yaml: "name: x\nhosts:\n  - {name: a}\n", line: 3, fragments: ["hosts[0].address", "required"]),
        Case(label: "port out of range", yaml: "name: x\nhosts:\n  - name: a\n    address: 1.2.3.4\n    port: 70000\n",
             line: 5, fragments: ["hosts[0].port", "1 to 65535"]),
        Case(label: "port not a number", yaml: "name: x\nhosts:\n  - {name: a, address: 1.2.3.4, port: ssh}\n",
             line: 3, fragments: ["hosts[0].port", "'ssh'"]),
        Case(label: "duplicate host name", yaml: "name: x\nhosts:\n  - {name: a, address: 1.2.3.4}\n  - {name: a, address: 1.2.3.5}\n",
             line: 4, fragments: ["hosts[1].name", "already"]),
        Case(label: "shell metacharacters in address", yaml: "name: x\nhosts:\n  - {name: a, address: '1.2.3.4;rm -rf /'}\n",
             line: 3, fragments: ["hosts[0].address"]),
        Case(label: "relative bk_home", yaml: "name: x\nbk_home: data/bkee\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 2, fragments: ["bk_home", "absolute"]),
        Case(label: "dot-dot in bk_home", yaml: "name: x\nhosts:\n  - {name: a, address: 1.2.3.4, bk_home: /data/../etc}\n",
             line: 3, fragments: ["hosts[0].bk_home", ".."]),
        Case(label: "space in bk_home", yaml: "name: x\nhosts:\n  - {name: a, address: 1.2.3.4, bk_home: '/data/bk ee'}\n",
             line: 3, fragments: ["a space"]),
        Case(label: "placement names an unknown host",
             yaml: "name: x\nhosts:\n  - {name: a, address: 1.2.3.4}\nservices:\n  job-config: [a, b]\n",
             line: 5, fragments: ["services.job-config", "'b'", "hosts are: a"]),
        Case(label: "unsafe service name",
             yaml: "name: x\nhosts:\n  - {name: a, address: 1.2.3.4}\nservices:\n  'job-$(id)': [a]\n",
             line: 5, fragments: ["not a valid service name"]),
        Case(label: "bad host-key policy", yaml: "name: x\nssh:\n  host_keys: yolo\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 3, fragments: ["ssh.host_keys", "strict or accept-new"]),
        Case(label: "bad duration", yaml: "name: x\nssh:\n  connect_timeout: soon\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 3, fragments: ["ssh.connect_timeout", "duration"]),
        Case(label: "hosts is a mapping", yaml: "name: x\nhosts:\n  a: 1.2.3.4\n", line: 3, fragments: ["hosts", "must be a list"]),
        Case(label: "duplicate key", yaml: "name: x\nname: y\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 2, fragments: ["name"]),
        Case(label: "secret key not an env key",
             yaml: "name: x\nhosts:\n  - {name: a, address: 1.2.3.4}\nrelease:\n  dir: /r\n  secret_keys: [ok_no]\n",
             line: 6, fragments: ["release.secret_keys", "'ok_no'"]),
        Case(label: "invalid login name", yaml: "name: x\nssh:\n  user: 'root; id'\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 3, fragments: ["ssh.user"]),
        Case(label: "run_as is not an account name", yaml: "name: x\nrun_as: 'blue king'\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 2, fragments: ["run_as", "not a valid account name", "'blue king'"]),
        Case(label: "run_as with a shell word", yaml: "name: x\nrun_as: '$(id)'\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 2, fragments: ["run_as"]),
        Case(label: "nofile out of range", yaml: "name: x\nlimits:\n  nofile: 10\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 3, fragments: ["limits.nofile", "1024 to 1048576"]),
        Case(label: "unknown limit", yaml: "name: x\nlimits:\n  nproc: 10\nhosts:\n  - {name: a, address: 1.2.3.4}\n",
             line: 3, fragments: ["nproc"]),
    ]

    @Test("malformed manifests are rejected with file, line and field", arguments: malformed)
    func rejectsMalformed(testCase: Case) throws {
        let error = try #require(throws: ConfigError.self) {
            try FleetManifest.parse(yaml: testCase.yaml, path: "/tmp/fleet.yaml")
        }
        let issue = try #require(error.issues.first { $0.line == testCase.line }, "no issue on line \(testCase.line): \(error)")
        let text = error.description
        #expect(issue.file == "/tmp/fleet.yaml")
        for fragment in testCase.fragments {
            #expect(text.contains(fragment), "\(text) should mention \(fragment)")
        }
    }

    @Test("run_as defaults to blueking for a root login and to the login user otherwise; the manifest's wins everywhere")
    func runAs() throws {
        let hosts = "hosts:\n  - {name: a, address: 1.2.3.4}\n  - {name: b, address: 1.2.3.5, user: deploy}\n"
        let defaulted = try FleetManifest.parse(yaml: "name: x\n" + hosts, path: "f.yaml")
        #expect(defaulted.hosts.map(\.runAs) == ["blueking", "deploy"])
        #expect(defaulted.runAs == nil && defaulted.openFiles == nil)
        let named = try FleetManifest.parse(yaml: "name: x\nrun_as: root\nlimits: { nofile: 65536 }\n" + hosts, path: "f.yaml")
        #expect(named.hosts.map(\.runAs) == ["root", "root"])
        #expect(named.runAs == "root" && named.openFiles == 65536)
    }

    @Test("every problem is reported in one pass")
    func reportsAllAtOnce() throws {
        let yaml = """
            name: x
            hosts:
              - {name: a, address: 1.2.3.4, port: 0}
              - {name: a, address: 'bad address'}
            services:
              job-config: [zz]
            """
        let error = try #require(throws: ConfigError.self) { try FleetManifest.parse(yaml: yaml, path: "f.yaml") }
        #expect(error.issues.count >= 4)
        #expect(Set(error.issues.compactMap(\.line)) == [3, 4, 6])
    }

    @Test("alias bombs are refused quickly, not expanded")
    func aliasBomb() throws {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<20 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(refs)]\n"
        }
        yaml += "name: x\nhosts:\n  - {name: a, address: 1.2.3.4}\nservices:\n  job-config: *a19\n"
        let error = try #require(throws: ConfigError.self) { try FleetManifest.parse(yaml: yaml, path: "f.yaml") }
        #expect(!error.issues.isEmpty)
    }

    @Test("a missing file is named")
    func missingFile() throws {
        let error = try #require(throws: ConfigError.self) { try FleetManifest.load(path: "/nonexistent/fleet.yaml") }
        #expect(error.description.contains("/nonexistent/fleet.yaml: does not exist"))
    }
}
