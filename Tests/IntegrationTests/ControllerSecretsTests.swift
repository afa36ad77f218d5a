import Foundation
import Testing
import TestSupport

extension ControllerDeployTests {
    /// Secrets planted in the env file, in a template, in a host's old file and in a service's
    /// log; none of them may show in anything jobfleet prints or records.
    struct PlantedSecrets {
        static let actuator = "Pl4nted-actuator-pw"
        static let secureKey = "Pl4nted-secure-key"
        static let mongoPassword = "Pl4nted-mongo-pw"
        static let oldHostPassword = "Pl4nted-old-host-pw"
        static let inServiceLog = "Pl4nted-in-a-log"

        static let all = [actuator, secureKey, mongoPassword, oldHostPassword, inServiceLog]

        /// The planted secrets `text` shows.
        static func shown(in text: String) -> [String] { all.filter { text.contains($0) } }
    }

    /// A copy of the sandbox release whose job-manage template uses a secure key and a MongoDB
    /// URI, and an env file holding the planted secrets; returns the manifest using both.
    func plantSecrets() throws -> String {
        let sandbox = fleet.sandbox
        let release = "\(sandbox.dir)/release-secrets"
        try? FileManager.default.removeItem(atPath: release)
        try FileManager.default.copyItem(atPath: sandbox.releaseDir, toPath: release)
        let template = "\(release)/support-files/templates/application-manage.yml"
        let text = try String(contentsOfFile: template, encoding: .utf8)
        try (text + """

            trace:
              secure-key: '__BK_JOB_TRACE_REPORT_SECURE_KEY__'
            mongodb:
              uri: __BK_JOB_MONGODB_URI__

            """).write(toFile: template, atomically: true, encoding: .utf8)
        var env = try String(contentsOfFile: sandbox.envFile, encoding: .utf8)
        env = env.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("BK_JOB_ACTUATOR_PASSWORD=") ? "BK_JOB_ACTUATOR_PASSWORD=\(PlantedSecrets.actuator)" : String($0) }
            .joined(separator: "\n")
        env += "\nBK_JOB_TRACE_REPORT_SECURE_KEY=\(PlantedSecrets.secureKey)\n"
            + "BK_JOB_MONGODB_URI=mongodb://joblog:\(PlantedSecrets.mongoPassword)@127.0.0.1:27017/joblog\n"
        let envFile = "\(sandbox.dir)/job-secrets.env"
        try env.write(toFile: envFile, atomically: true, encoding: .utf8)
        let manifest = try fleet.manifest(release: release, name: "fleet-secrets.yaml")
        let yaml = try String(contentsOfFile: manifest, encoding: .utf8)
            .replacingOccurrences(of: "env: \(sandbox.envFile)", with: "env: \(envFile)")
        try yaml.write(toFile: manifest, atomically: true, encoding: .utf8)
        return manifest
    }

    @Test("planted secrets reach no output of plan, deploy, status, logs or history, nor the journal or the agents' logs")
    func secretsStayHidden() throws {
        let baseline = try fleet.ensureBaseline()
        let manifest = try plantSecrets()
        let h1 = fleet.sandbox.hosts[0]
        // A hand-edited file on h1 with an old credential the new template does not have.
        let config = "\(h1.bkHome)/etc/job/application-manage.yml"
        try (try String(contentsOfFile: config, encoding: .utf8) + "legacy:\n  password: \(PlantedSecrets.oldHostPassword)\n")
            .write(toFile: config, atomically: true, encoding: .utf8)

        var outputs: [(String, CommandResult)] = []
        func run(_ label: String, _ arguments: [String]) throws -> CommandResult {
            let result = try fleet.cli.run(arguments)
            outputs.append((label, result))
            return result
        }
        let plan = try run("plan", ["plan", "-f", manifest])
        #expect(plan.status == 3, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("<secret changed>"), "\(plan.stdout)")
        let deploy = try run("deploy", ["deploy", "-f", manifest, "--yes"])
        #expect(deploy.succeeded, "\(deploy.stdout)\(deploy.stderr)")
        // The secrets did reach the host, where they belong.
        let rendered = try String(contentsOfFile: config, encoding: .utf8)
        #expect(rendered.contains(PlantedSecrets.secureKey) && rendered.contains(PlantedSecrets.mongoPassword))

        let log = try FileHandle(forWritingAtPath: fleet.serviceLog("job-manage", on: h1)).unwrap()
        log.seekToEndOfFile()
        log.write(Data("2026-12-04 INFO token=\(PlantedSecrets.actuator) uri=mongodb://u:\(PlantedSecrets.inServiceLog)@db/x\n".utf8))
        try log.close()
        let logs = try run("logs", ["logs", "-f", manifest, "job-manage", "--hosts", "h1", "-n", "20"])
        #expect(logs.stdout.contains("token=******"), "\(logs.stdout)")
        _ = try run("status", ["status", "-f", manifest])
        _ = try run("status --json", ["status", "-f", manifest, "--json"])
        _ = try run("history", ["history", "-f", manifest])
        let entries = try fleet.history(manifest)
        let entry = try #require(entries.first?["id"] as? Int)
        _ = try run("history --id", ["history", "-f", manifest, "--id", String(entry), "--json"])
        _ = try run("plan after", ["plan", "-f", manifest])

        for (label, result) in outputs {
            #expect(PlantedSecrets.shown(in: result.stdout + result.stderr).isEmpty,
                    "\(label) shows \(PlantedSecrets.shown(in: result.stdout + result.stderr)):\n\(result.stdout)\n\(result.stderr)")
        }
        let journal = ["", "-wal", "-journal"].map { ControllerFleet.text(fleet.cli.journal + $0) }.joined()
        #expect(PlantedSecrets.shown(in: journal).isEmpty, "the journal holds \(PlantedSecrets.shown(in: journal))")
        for host in fleet.sandbox.hosts {
            let agentLog = ControllerFleet.text("\(host.bkHome)/.jobfleet/agent.log")
                + ControllerFleet.text("\(host.bkHome)/.jobfleet/agent.log.1")
            #expect(PlantedSecrets.shown(in: agentLog).isEmpty, "\(host.name)'s agent log holds \(PlantedSecrets.shown(in: agentLog))")
        }
        // Back to the baseline for the tests that follow.
        #expect(try fleet.deploy(baseline).succeeded)
    }
}

extension Optional {
    func unwrap(_ what: String = "value") throws -> Wrapped {
        guard let self else { throw SandboxError(message: "no \(what)") }
        return self
    }
}
