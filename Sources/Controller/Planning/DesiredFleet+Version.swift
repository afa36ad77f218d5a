extension DesiredFleet {
    /// Sets the release version on the fleet and on every instance's spec, which the agents
    /// keep and report back in status. Revisions leave the version out, so no instance is
    /// restarted for it.
    public mutating func setVersion(_ version: String?) {
        self.version = version
        for index in instances.indices { instances[index].spec.version = version }
    }
}
