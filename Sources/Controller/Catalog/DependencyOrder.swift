/// Ordering of services by their `depends_on` edges.
public enum DependencyOrder {
    /// A dependency cycle as a path that returns to its start, or nil when there is none.
    public static func cycle(in services: [ServiceDefinition]) -> [String]? {
        let edges = Dictionary(services.map { ($0.name, $0.dependsOn) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Bool] = [:]  // false: on the current path, true: done
        var path: [String] = []

        func visit(_ name: String) -> [String]? {
            if state[name] == true { return nil }
            if state[name] == false {
                let start = path.firstIndex(of: name) ?? 0
                return Array(path[start...]) + [name]
            }
            state[name] = false
            path.append(name)
            for next in edges[name] ?? [] where edges[next] != nil {
                if let found = visit(next) { return found }
            }
            path.removeLast()
            state[name] = true
            return nil
        }
        for service in services {
            if let found = visit(service.name) { return found }
        }
        return nil
    }

    /// Services grouped into levels: each level depends only on earlier ones. Assumes no cycle.
    public static func levels(of names: [String], in services: [ServiceDefinition]) -> [[String]] {
        let wanted = Set(names)
        let edges = Dictionary(services.map { ($0.name, $0.dependsOn.filter(wanted.contains)) },
                               uniquingKeysWith: { a, _ in a })
        var placed = Set<String>()
        var levels: [[String]] = []
        var remaining = names
        while !remaining.isEmpty {
            let ready = remaining.filter { (edges[$0] ?? []).allSatisfy(placed.contains) }
            if ready.isEmpty { levels.append(remaining); break }
            levels.append(ready)
            placed.formUnion(ready)
            remaining.removeAll(where: ready.contains)
        }
        return levels
    }
}
