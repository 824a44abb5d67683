import Foundation
import HeroCore
import Testing

/// ``InOrder``: last steps submitted in any order run in index order, and a submitter whose
/// turn has not come returns at once (its step left to the task that completes the chain).
@Suite struct InOrderTests {
  /// Appends to a log from the steps (run one at a time by the actor's chain).
  final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int] = []
    func append(_ i: Int) { lock.withLock { items.append(i) } }
    var all: [Int] { lock.withLock { items } }
  }

  @Test func laterItemsWaitForEarlierOnesWithoutBlockingTheirSubmitter() async {
    let order = InOrder<Int>()
    let log = Log()
    await order.submit(2) {
      log.append(2); return 20
    }
    await order.submit(1) {
      log.append(1); return 10
    }
    // Neither has run: item 0 is missing, and both submitters came back.
    #expect(log.all.isEmpty)
    #expect(await order.results(count: 3).isEmpty)
    await order.submit(0) {
      log.append(0); return 0
    }
    #expect(log.all == [0, 1, 2])
    #expect(await order.results(count: 3) == [0, 10, 20])
  }

  @Test func concurrentSubmittersInAShuffledOrder() async {
    // A seeded shuffle of 64 indices, submitted from concurrent tasks, each step suspending
    // (so other submissions arrive while the chain runs).
    var rng = SplitMix64(seed: 7)
    var indices = Array(0..<64)
    for i in stride(from: indices.count - 1, to: 0, by: -1) {
      indices.swapAt(i, Int(rng.next() % UInt64(i + 1)))
    }
    let order = InOrder<Int>()
    let log = Log()
    await withTaskGroup(of: Void.self) { group in
      for i in indices {
        group.addTask {
          await order.submit(i) {
            await Task.yield()
            log.append(i)
            return i * i
          }
        }
      }
    }
    #expect(log.all == Array(0..<64))
    #expect(await order.results(count: 64) == (0..<64).map { $0 * $0 })
  }
}
