/// The work of one run: (task, partition) items. An unpartitioned task has one item with no
/// partition.
public struct RunPlan: Sendable {
    /// One task for one partition.
    public struct Item: Sendable, Hashable, CustomStringConvertible {
        /// The task's name.
        public var task: String
        /// The partition; `nil` for an unpartitioned task or a load of one input file.
        public var partition: Partition?
        /// One input file to load instead of the task's own source (`load --input FILE`).
        public var input: String?

        /// Creates an item.
        public init(task: String, partition: Partition?, input: String? = nil) {
            self.task = task
            self.partition = partition
            self.input = input
        }

        public var description: String {
            partition.map { "\(task) \($0.key)" } ?? input.map { "\(task) \($0)" } ?? task
        }

        /// The item as a run records it in its plan.
        public var planned: PlannedItem { PlannedItem(table: task, partition: partition?.key, input: input) }
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
