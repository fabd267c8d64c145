/// Tasks and their dependencies, checked: names unique, every dependency known, no cycles.
public struct TaskGraph: Sendable {
    /// The tasks in dependency order: every task after all it depends on; otherwise in the
    /// order they were given.
    public let ordered: [RunTask]

    /// Checks and orders `tasks`.
    /// - Throws: ``LoadKitError`` `.graph` naming a duplicate task, an unknown dependency
    ///   (`task 'flights' depends on unknown task 'airline'`), or a cycle
    ///   (`dependency cycle: a → b → c → a`).
    public init(_ tasks: [RunTask]) throws {
        var byName: [String: RunTask] = [:]
        for task in tasks {
            guard byName.updateValue(task, forKey: task.name) == nil else {
                throw LoadKitError(.graph, "task '\(task.name)' is declared twice")
            }
        }
        for task in tasks {
            for dependency in task.dependsOn where byName[dependency] == nil {
                throw LoadKitError(.graph, "task '\(task.name)' depends on unknown task '\(dependency)'")
            }
            if !task.partitioned, let partitioned = task.dependsOn.first(where: { byName[$0]!.partitioned }) {
                throw LoadKitError(.graph,
                    "unpartitioned task '\(task.name)' cannot depend on partitioned task '\(partitioned)'")
            }
        }
        // Depth-first search; the path on the stack names a cycle when one is met.
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var ordered: [RunTask] = []
        var path: [String] = []
        func visit(_ name: String) throws {
            switch marks[name] {
            case .done: return
            case .visiting:
                let cycle = path[path.firstIndex(of: name)!...] + [name]
                throw LoadKitError(.graph, "dependency cycle: " + cycle.joined(separator: " → "))
            case nil: break
            }
            marks[name] = .visiting
            path.append(name)
            for dependency in byName[name]!.dependsOn { try visit(dependency) }
            path.removeLast()
            marks[name] = .done
            ordered.append(byName[name]!)
        }
        for task in tasks { try visit(task.name) }
        self.ordered = ordered
    }

    /// The task named `name`.
    public func task(_ name: String) -> RunTask? { ordered.first { $0.name == name } }

    /// `names` and every task they depend on, directly or not, in dependency order.
    public func closure(of names: Set<String>) -> [RunTask] {
        var wanted = names
        for task in ordered.reversed() where wanted.contains(task.name) {
            wanted.formUnion(task.dependsOn)
        }
        return ordered.filter { wanted.contains($0.name) }
    }

    /// The tasks that depend on `name`, directly or not.
    public func dependents(of name: String) -> Set<String> {
        var result = Set<String>()
        for task in ordered where task.dependsOn.contains(where: { $0 == name || result.contains($0) }) {
            result.insert(task.name)
        }
        return result
    }
}

extension LoadKitError.Code {
    /// The task graph is invalid (unknown dependency, cycle, duplicate).
    public static let graph = LoadKitError.Code("graph.invalid")
}
