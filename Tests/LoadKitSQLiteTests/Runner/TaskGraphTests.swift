import LoadKit
import Testing

@Suite struct TaskGraphTests {
    static func task(_ name: String, _ dependsOn: [String] = [], partitioned: Bool = true) -> RunTask {
        RunTask(name: name, dependsOn: dependsOn, partitioned: partitioned) { _ in .done(rows: 0) }
    }

    static func graphError(_ tasks: [RunTask], sourceLocation: SourceLocation = #_sourceLocation) -> LoadKitError? {
        do {
            _ = try TaskGraph(tasks)
            Issue.record("the graph was accepted", sourceLocation: sourceLocation)
            return nil
        } catch let error as LoadKitError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test("Tasks are ordered after everything they depend on, otherwise in the given order")
    func dependencyOrder() throws {
        let graph = try TaskGraph([
            Self.task("daily_delays", ["flights"]),
            Self.task("flights", ["airlines", "airports"]),
            Self.task("weather"),
            Self.task("airports", partitioned: false),
            Self.task("airlines", partitioned: false),
        ])
        #expect(graph.ordered.map(\.name) == ["airlines", "airports", "flights", "daily_delays", "weather"])
    }

    @Test("The closure of a task is it and its upstream tasks in dependency order; dependents go down")
    func closureAndDependents() throws {
        let graph = try TaskGraph([
            Self.task("a", partitioned: false), Self.task("b", ["a"]), Self.task("c", ["b"]), Self.task("d"),
        ])
        #expect(graph.closure(of: ["c"]).map(\.name) == ["a", "b", "c"])
        #expect(graph.closure(of: ["b", "d"]).map(\.name) == ["a", "b", "d"])
        #expect(graph.dependents(of: "a") == ["b", "c"])
        #expect(graph.dependents(of: "c") == [])
    }

    @Test("A cycle is refused with a message naming it")
    func cycle() throws {
        let error = Self.graphError([Self.task("a", ["c"]), Self.task("b", ["a"]), Self.task("c", ["b"])])
        #expect(error?.code == .graph)
        #expect(error?.description == "dependency cycle: a → c → b → a")
        let chain = Self.graphError([Self.task("a", ["b"]), Self.task("b", ["c"]), Self.task("c", ["a"])])
        #expect(chain?.description == "dependency cycle: a → b → c → a")
    }

    @Test("A cycle below an acyclic entry task names only the cycle")
    func cycleBelowEntry() throws {
        let error = Self.graphError([Self.task("top", ["x"]), Self.task("x", ["y"]), Self.task("y", ["x"])])
        #expect(error?.description == "dependency cycle: x → y → x")
    }

    @Test("A task depending on itself is a cycle")
    func selfCycle() throws {
        #expect(Self.graphError([Self.task("a", ["a"])])?.description == "dependency cycle: a → a")
    }

    @Test("An unknown dependency is named exactly")
    func unknownDependency() throws {
        let error = Self.graphError([Self.task("airlines", partitioned: false), Self.task("flights", ["airline"])])
        #expect(error?.code == .graph)
        #expect(error?.description == "task 'flights' depends on unknown task 'airline'")
    }

    @Test("A task declared twice is refused")
    func duplicate() throws {
        let error = Self.graphError([Self.task("flights"), Self.task("airlines"), Self.task("flights")])
        #expect(error?.code == .graph)
        #expect(error?.description == "task 'flights' is declared twice")
    }

    @Test("An unpartitioned task cannot depend on a partitioned one")
    func unpartitionedOnPartitioned() throws {
        let error = Self.graphError([Self.task("flights"), Self.task("summary", ["flights"], partitioned: false)])
        #expect(error?.code == .graph)
        #expect(error?.description == "unpartitioned task 'summary' cannot depend on partitioned task 'flights'")
        // The other way round is fine.
        #expect(throws: Never.self) {
            try TaskGraph([Self.task("airlines", partitioned: false), Self.task("flights", ["airlines"])])
        }
    }

    @Test("A plan naming a task the graph does not have is refused before anything is recorded")
    func planWithUnknownTask() throws {
        let warehouse = try RunnerEventsWarehouse()
        let runner = try warehouse.runner([Self.task("a")])
        let day = try warehouse.days(1, 1)[0]
        #expect {
            _ = try runner.run(RunPlan(items: [.init(task: "nope", partition: day)]), command: "test", arguments: [])
        } throws: { error in
            (error as? LoadKitError)?.description == "the plan names unknown task 'nope'"
        }
        #expect(try warehouse.log().runs(limit: 10, failedOnly: false).isEmpty)
    }
}
