import Shared

extension DesiredFleet {
    /// Gives every instance a start gate per dependency the placement runs, which its agent
    /// checks before each start of it, with or without a controller (after a reboot, say):
    /// through the instance's host's Consul agent when the line needs Consul (a passing
    /// instance of the dependency there, as upstream's units wait for
    /// `job-config.service.consul`), else the dependency's health checks on every host that
    /// runs it, any one healthy answer being enough. The gates are part of the spec, so the
    /// revision is computed again.
    static func attachStartGates(_ instances: inout [DesiredInstance]) {
        for index in instances.indices {
            let instance = instances[index]
            let gates = instance.dependsOn.compactMap { startGate(on: $0, for: instance, among: instances) }
            guard !gates.isEmpty else { continue }
            instances[index].spec.startGates = gates
            instances[index].spec.revision = revision(of: instances[index].spec, files: instance.files + instance.served,
                                                      key: nil)
        }
    }

    /// The gate of `instance` on `dependency`; nil when the placement does not run the
    /// dependency or nothing tells when it is up (no Consul and no network health check).
    static func startGate(on dependency: String, for instance: DesiredInstance, among instances: [DesiredInstance]) -> StartGate? {
        let providers = instances.filter { $0.service == dependency }
        guard !providers.isEmpty else { return nil }
        if let consul = instance.host.consul, consul.scheme == "http" {
            return StartGate(service: dependency, consul: consul)
        }
        let probes = providers.compactMap(\.spec.health).filter {
            if case .command = $0.probe { return false }
            return true
        }
        return probes.isEmpty ? nil : StartGate(service: dependency, probes: probes)
    }
}
