import Dispatch

/// Runs `work` over `items` with at most `jobs` tasks in flight; results come back in input order.
public func mapBounded<T: Sendable, R: Sendable>(
  _ items: [T], jobs: Int, _ work: @escaping @Sendable (T) async -> R
) async -> [R] {
  await withTaskGroup(of: (Int, R).self) { group in
    var out = [R?](repeating: nil, count: items.count)
    var next = 0
    func start(_ g: inout TaskGroup<(Int, R)>) {
      let i = next
      next += 1
      g.addTask { (i, await work(items[i])) }
    }
    while next < min(max(jobs, 1), items.count) { start(&group) }
    while let (i, r) = await group.next() {
      out[i] = r
      if next < items.count { start(&group) }
    }
    return out.compactMap { $0 }
  }
}

/// A value computed on a GCD thread, begun at once, so that it neither waits for nor blocks the
/// cooperative pool's threads; ``get()`` waits for it. With `background: false` it is computed
/// in `init`, whose error is then thrown there.
public final class BackgroundResult<Value: Sendable>: @unchecked Sendable {
  private let done = DispatchGroup()
  /// Written once before `done` is left; read after waiting for it.
  private var result: Result<Value, any Error>?

  public init(background: Bool, _ work: @escaping @Sendable () throws -> Value) throws {
    guard background else {
      result = .success(try work())
      return
    }
    begin(work)
  }

  /// Work that cannot fail, begun on another thread.
  public init(_ work: @escaping @Sendable () -> Value) { begin(work) }

  private func begin(_ work: @escaping @Sendable () throws -> Value) {
    done.enter()
    DispatchQueue.global(qos: .userInitiated).async {
      self.result = Result { try work() }
      self.done.leave()
    }
  }

  /// The value, once computed; the work's error when it failed.
  public func get() throws -> Value {
    done.wait()
    guard let result else { preconditionFailure("the background work never ended") }
    return try result.get()
  }
}
