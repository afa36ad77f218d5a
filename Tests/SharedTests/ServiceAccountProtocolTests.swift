import Foundation
import Testing
@testable import Shared

@Suite("The service account and open-files limit on the wire")
struct ServiceAccountProtocolTests {
    @Test("a spec's user and openFiles travel and come back; a spec from before them decodes with neither")
    func specFields() throws {
        var spec = ServiceSpec(name: "job-manage", command: ["java", "-jar", "job-manage.jar"])
        spec.user = "blueking"
        spec.openFiles = 204_800
        let data = try AgentProtocol.makeEncoder().encode(spec)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""user":"blueking""#) && text.contains(#""openFiles":204800"#), "\(text)")
        #expect(try AgentProtocol.makeDecoder().decode(ServiceSpec.self, from: data) == spec)

        let old = try AgentProtocol.makeDecoder().decode(ServiceSpec.self, from: Data(#"{"name":"job-manage","command":["java"]}"#.utf8))
        #expect(old.user == nil && old.openFiles == nil)
        let plain = try AgentProtocol.makeEncoder().encode(old)
        #expect(!String(decoding: plain, as: UTF8.self).contains("user"), "absent fields stay absent, so earlier revisions hold")
    }

    @Test("the account and limit are part of what runs: changing either is a different run definition")
    func runDefinition() {
        var spec = ServiceSpec(name: "job-manage", command: ["java"])
        spec.user = "blueking"
        var other = spec
        other.user = "root"
        #expect(spec.runDefinition != other.runDefinition)
        other = spec
        other.openFiles = 65_536
        #expect(spec.runDefinition != other.runDefinition)
    }

    @Test("hello asks about accounts and hears back about each; older peers omit both")
    func helloAccounts() throws {
        let request = try AgentProtocol.makeDecoder().decode(HelloRequest.self, from: Data(#"{"client":"jobfleet"}"#.utf8))
        #expect(request.accounts == nil)
        let asked = HelloRequest(client: "jobfleet", accounts: ["blueking"])
        let data = try AgentProtocol.makeEncoder().encode(asked)
        #expect(try AgentProtocol.makeDecoder().decode(HelloRequest.self, from: data) == asked)
        let facts = AccountFacts(name: "ghost", problem: "no account 'ghost' in /etc/passwd")
        let back = try AgentProtocol.makeDecoder().decode(AccountFacts.self, from: AgentProtocol.makeEncoder().encode(facts))
        #expect(back == facts)
    }
}
