import Dispatch
import Foundation
import Synchronization

/// A persistent team of threads that splits one layer's work into `size` parts: the caller runs
/// part 0, `size - 1` worker threads run the others, and ``run(_:)`` returns when all are done.
/// Used for a lone image, with OpenBLAS at one thread: every GEMM, transform, im2col and pool of
/// the layer is split between the cores.
///
/// A forward pass hands the team about 250 jobs of a fraction of a millisecond each, so waking a
/// blocked thread for each one (tens of microseconds) would cost a sixth of the time. Instead a
/// worker that has finished a job watches for the next one for up to ``spinNanoseconds`` (loads
/// of an atomic, then `sched_yield`, which gives the core to any other runnable thread), and only
/// then blocks on its semaphore; the caller waits for the workers' parts the same way, yielding.
/// An idle team therefore costs nothing, and a busy one wakes in well under a microsecond.
///
/// Waking a blocked worker: the worker sets `sleeping`, then looks at `generation` once more;
/// the caller bumps `generation`, then takes `sleeping` back and signals only when it was set.
/// Whichever of the two takes `sleeping` back decides, so the signal is never lost or left over.
///
/// `@unchecked Sendable`: the job is written by the caller before `generation` is bumped
/// (release) and read by the workers after they see it (acquire), until they count themselves
/// `finished`.
final class WorkerTeam: @unchecked Sendable {
  /// The number of parts (the caller plus the workers).
  let size: Int
  private let state: State
  /// How long an idle worker keeps watching for the next job before it blocks.
  static let spinNanoseconds: UInt64 = 200_000

  /// What the worker threads share with the caller; the threads hold it, not the team, so the
  /// team's `deinit` can stop them.
  private final class State: @unchecked Sendable {
    var job: ((Int) -> Void)?
    var stop = false
    let generation = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    let workers: [Worker]
    init(workers: Int) { self.workers = (0..<workers).map { _ in Worker() } }

    /// One worker's wake-up: set while it blocks on `start`.
    final class Worker: Sendable {
      let sleeping = Atomic<Bool>(false)
      let start = DispatchSemaphore(value: 0)
    }

    /// Worker `w`: waits until `generation` differs from `seen`, spinning first, then blocking.
    func awaitJob(worker w: Int, seen: Int) {
      var spins = 0
      var since: UInt64 = 0
      while generation.load(ordering: .acquiring) == seen {
        spins += 1
        if spins < 256 { continue }
        if since == 0 { since = DispatchTime.now().uptimeNanoseconds }
        if DispatchTime.now().uptimeNanoseconds - since < WorkerTeam.spinNanoseconds {
          sched_yield()
          continue
        }
        let worker = workers[w]
        worker.sleeping.store(true, ordering: .sequentiallyConsistent)
        if generation.load(ordering: .sequentiallyConsistent) != seen {
          // A job came meanwhile: if the caller has already taken `sleeping` back, its signal
          // is on the way and must be consumed.
          if !worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            worker.start.wait()
          }
          return
        }
        worker.start.wait()
        spins = 0
        since = 0
      }
    }

    /// The caller: publishes a job and wakes the workers that sleep.
    func publish() {
      generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
      for worker in workers where worker.sleeping.exchange(false, ordering: .sequentiallyConsistent)
      {
        worker.start.signal()
      }
    }

    /// The caller: waits until `count` workers have finished the current job.
    func awaitFinished(_ count: Int) {
      var spins = 0
      while finished.load(ordering: .acquiring) < count {
        spins += 1
        if spins >= 256 { sched_yield() }
      }
      finished.store(0, ordering: .relaxed)
    }
  }

  init(size: Int) {
    self.size = max(1, size)
    let state = State(workers: self.size - 1)
    self.state = state
    for w in 0..<(self.size - 1) {
      let thread = Thread {
        var seen = 0
        while true {
          state.awaitJob(worker: w, seen: seen)
          seen = state.generation.load(ordering: .acquiring)
          if state.stop { break }
          state.job?(w + 1)
          state.finished.wrappingAdd(1, ordering: .releasing)
        }
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
  }

  deinit {
    state.stop = true
    state.publish()
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
      state.publish()
      job(0)
      state.awaitFinished(size - 1)
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
