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
