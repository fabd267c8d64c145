/// The work of one run: (task, partition) items. An unpartitioned task has one item with no
/// partition.
public struct RunPlan: Sendable {
    /// One task for one partition.
    public struct Item: Sendable, Hashable, CustomStringConvertible {
        /// The task's name.
        public var task: String
        /// The partition; `nil` for an unpartitioned task.
        public var partition: Partition?

        /// Creates an item.
        public init(task: String, partition: Partition?) {
            self.task = task
            self.partition = partition
        }

        public var description: String { partition.map { "\(task) \($0.key)" } ?? task }
    }

    /// The items, in no particular order (the runner orders them).
    public var items: [Item]

    /// Creates a plan from items.
    public init(items: [Item]) {
        self.items = items
    }

    /// Every task of `tasks` (and, with `upstream`, everything they depend on) for each of
    /// `partitions`; unpartitioned tasks once.
    public init(graph: TaskGraph, tasks: Set<String>, partitions: [Partition], upstream: Bool = true) {
        let selected = upstream ? graph.closure(of: tasks) : graph.ordered.filter { tasks.contains($0.name) }
        var items: [Item] = []
        for task in selected {
            if task.partitioned {
                items += partitions.map { Item(task: task.name, partition: $0) }
            } else {
                items.append(Item(task: task.name, partition: nil))
            }
        }
        self.items = items
    }
}
