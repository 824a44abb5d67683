import Dispatch
import Foundation

/// A persistent team of threads that splits one layer's work into `size` parts: the caller runs
/// part 0, `size - 1` worker threads run the others, and ``run(_:)`` returns when all are done.
/// Idle workers block on a semaphore (no spinning), so a team costs nothing while the network
/// runs lanes or sits unused. Used for a lone image, with OpenBLAS at one thread: every GEMM,
/// transform, im2col and pool of the layer is split between the cores.
///
/// `@unchecked Sendable`: the job is written by the caller before the workers are signalled and
/// read by them only between that signal and their `done` signal.
final class WorkerTeam: @unchecked Sendable {
  /// The number of parts (the caller plus the workers).
  let size: Int
  private let state: State

  /// What the worker threads share with the caller; the threads hold it, not the team, so the
  /// team's `deinit` can stop them.
  private final class State: @unchecked Sendable {
    var job: ((Int) -> Void)?
    var stop = false
    let start: [DispatchSemaphore]
    let done = DispatchSemaphore(value: 0)
    init(workers: Int) { start = (0..<workers).map { _ in DispatchSemaphore(value: 0) } }
  }

  init(size: Int) {
    self.size = max(1, size)
    let state = State(workers: self.size - 1)
    self.state = state
    for w in 0..<(self.size - 1) {
      let thread = Thread {
        while true {
          state.start[w].wait()
          if state.stop { break }
          state.job?(w + 1)
          state.done.signal()
        }
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
  }

  deinit {
    state.stop = true
    for s in state.start { s.signal() }
  }

  /// Runs `body(part)` for every part in `0..<size` at once (part 0 in the caller) and returns
  /// when all have finished.
  func run(_ body: (Int) -> Void) {
    if size == 1 {
      body(0)
      return
    }
    withoutActuallyEscaping(body) { job in
      state.job = job
      for s in state.start { s.signal() }
      job(0)
      for _ in state.start { state.done.wait() }
      state.job = nil
    }
  }
}

/// Part `part` of `parts` of `0..<count`, split into nearly equal ranges whose bounds are
/// multiples of `align` (except the end).
func share(_ part: Int, of parts: Int, count: Int, align: Int = 1) -> Range<Int> {
  let units = (count + align - 1) / align
  let lo = min(count, part * units / parts * align)
  let hi = min(count, (part + 1) * units / parts * align)
  return lo..<hi
}

/// Runs `body(part, parts)` once per part of `team`, or once as the whole when `team` is nil.
func split(_ team: WorkerTeam?, _ body: (_ part: Int, _ parts: Int) -> Void) {
  guard let team, team.size > 1 else {
    body(0, 1)
    return
  }
  let parts = team.size
  team.run { body($0, parts) }
}
