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

/// Finishes items in index order while they are worked on in any order: ``submit(_:_:)`` hands
/// over item `index`'s last step, which runs once every item before it has run its own, on
/// the task that submitted the last missing one. A submitter never waits for earlier items
/// (its slot in a ``mapBounded`` run is free for the next item at once). `extract` commits
/// each video's crops so, which numbers them in the order the videos were given, however
/// their decoding interleaves. Every index from 0 must be submitted once.
public actor InOrder<R: Sendable> {
  private var ready: [Int: @Sendable () async -> R] = [:]
  private var finished: [Int: R] = [:]
  private var next = 0
  private var draining = false

  public init() {}

  /// Submits item `index`'s last step; runs it (and any later ones then ready) when its turn
  /// comes, or leaves it to the task running the turn before it.
  public func submit(_ index: Int, _ last: @escaping @Sendable () async -> R) async {
    ready[index] = last
    // An earlier submitter is running the chain (this actor is reentrant while it awaits a
    // step): it takes this one too when its turn comes.
    guard !draining else { return }
    draining = true
    while let step = ready.removeValue(forKey: next) {
      finished[next] = await step()
      next += 1
    }
    draining = false
  }

  /// The results of items 0 ..< `count`, in order (those not yet finished left out).
  public func results(count: Int) -> [R] { (0..<count).compactMap { finished[$0] } }
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
