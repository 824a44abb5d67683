import CPackedGEMM
import Dispatch
import Foundation
import Synchronization

/// A persistent team of threads that splits one layer's work into `size` parts, run by the caller
/// and `size - 1` worker threads; ``run(_:)`` returns when all are done. Used for a lone image,
/// with OpenBLAS at one thread: every GEMM, transform, im2col and pool of the layer is split
/// between the cores.
///
/// Each thread takes the next part nobody has taken yet, so a worker that has lost its core to
/// another process, or that is still waking up, does not hold the caller up: the caller runs
/// the parts left over. (A worker woken from its semaphore often lands on the caller's own
/// core, where it could not run before the caller yields; waiting for it would serialise the
/// two anyway.) With one busy process beside it on 2 cores, batch 1 went from 6.0–6.5 to
/// 8.6–10 images/s this way (ONNX Runtime: 7.4–8.0); on a quiet machine nothing changed.
///
/// A forward pass hands the team about 250 jobs of a fraction of a millisecond each, so waking a
/// blocked thread for each one (tens of microseconds) would cost a sixth of the time. Instead a
/// worker that has finished a job watches for the next one for up to ``spinNanoseconds`` (see
/// ``Backoff``: loads of an atomic, the CPU's spin hint, then `sched_yield`), and only then
/// blocks on its semaphore; the caller waits for the last parts the same way. An idle team
/// therefore costs nothing, and a busy one wakes in well under a microsecond.
///
/// Waking a blocked worker: the worker sets `sleeping`, then looks at `generation` once more;
/// the caller bumps `generation`, then takes `sleeping` back and signals only when it was set.
/// Whichever of the two takes `sleeping` back decides, so the signal is never lost or left over.
///
/// Placement: at most twice a second the team measures a cache line's round trip between its
/// two threads (``refreshPlacement()``); the host of the benches' VM sometimes puts its two
/// vCPUs on cores that share no cache, and the Winograd layers then store differently.
///
/// `@unchecked Sendable`: the job is written by the caller before the parts are published
/// (release) and read by a thread only after it has taken one of them (acquire); the caller
/// clears it only when every part has finished.
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
    /// The parts handed out: the job's number times 2¹⁶ plus the next part to take. A thread
    /// takes a part by a compare-and-exchange of the whole word, so it can never take a part of
    /// a job it has not seen published.
    let claims = Atomic<Int>(0)
    /// The parts of the current job that have finished.
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
      var backoff = Backoff()
      while generation.load(ordering: .acquiring) == seen {
        if backoff.elapsed < WorkerTeam.spinNanoseconds {
          backoff.pause()
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
        backoff = Backoff()
      }
    }

    /// The caller: publishes a job (its parts to take, then the generation that workers watch)
    /// and wakes the workers that sleep.
    func publish() {
      finished.store(0, ordering: .relaxed)
      let number = (claims.load(ordering: .relaxed) >> 16) &+ 1
      claims.store((number & 0xFFFF_FFFF) << 16, ordering: .releasing)
      generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
      for worker in workers where worker.sleeping.exchange(false, ordering: .sequentiallyConsistent)
      {
        worker.start.signal()
      }
    }

    /// Runs parts of the current job until none is left to take.
    func runParts(size: Int) {
      while true {
        let word = claims.load(ordering: .acquiring)
        let part = word & 0xFFFF
        if part >= size { return }
        guard
          claims.compareExchange(
            expected: word, desired: word + 1, ordering: .acquiringAndReleasing
          ).exchanged
        else { continue }
        // Taken: the job stays until every part of it has finished, this one included.
        job?(part)
        finished.wrappingAdd(1, ordering: .releasing)
      }
    }

    /// The caller: waits until all `count` parts of the current job have finished.
    func awaitFinished(_ count: Int) {
      var backoff = Backoff()
      while finished.load(ordering: .acquiring) < count { backoff.pause() }
    }
  }

  init(size: Int) {
    self.size = max(1, size)
    let state = State(workers: self.size - 1)
    self.state = state
    let size = self.size
    precondition(size <= 0xFFFF)
    for w in 0..<(size - 1) {
      let thread = Thread {
        var seen = 0
        while true {
          state.awaitJob(worker: w, seen: seen)
          seen = state.generation.load(ordering: .acquiring)
          if state.stop { break }
          state.runParts(size: size)
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

  /// Whether the last ``probePlacement()`` found the caller and a worker on cores that do not
  /// share a cache (a cache line's round trip over ``apartNanoseconds``). Read and written by
  /// the caller only.
  private(set) var coresApart = false
  /// When ``probePlacement()`` last ran (uptime nanoseconds; 0: never).
  private var probedAt: UInt64 = 0
  /// The round trip above which two cores count as apart: on the VM of the benches a round
  /// trip takes 50–65 ns between cores that share a cache and 310–380 ns between cores that do
  /// not (docs/inception.md, "Sixth session").
  static let apartNanoseconds = 150.0
  /// How often ``refreshPlacement()`` probes: the host moves the cores every few seconds at most.
  static let probeInterval: UInt64 = 500_000_000

  /// Probes where the cores are (``probePlacement()``) if the last probe is older than
  /// ``probeInterval``; returns ``coresApart``. About 20–100 µs of both threads, twice a second.
  @discardableResult
  func refreshPlacement() -> Bool {
    let now = DispatchTime.now().uptimeNanoseconds
    if probedAt == 0 || now &- probedAt >= Self.probeInterval {
      probedAt = now
      if let trip = probePlacement() { coresApart = trip > Self.apartNanoseconds }
    }
    return coresApart
  }

  /// The mean round trip (ns) of one cache line between the caller and the worker that takes the
  /// other part of a two-part job: 128 trips after 16 of warm-up. Nil with one thread, or when no
  /// worker took its part within 200 µs or the trips took over 2 ms (a thread lost its core):
  /// then nothing is learnt and nothing waits longer. (Tests pass longer limits: `meetWithin`
  /// and `tripsWithin` in nanoseconds.)
  func probePlacement(meetWithin: UInt64 = 200_000, tripsWithin: UInt64 = 2_000_000) -> Double? {
    guard size == 2 else { return nil }
    let ball = Atomic<Int>(0)
    let result = Atomic<Int>(-1)
    let warm = 16
    let trips = 128
    // 0: waiting for the partner; 1: the partner arrived; 2: abandoned.
    let met = Atomic<Int>(0)
    run { part in
      if part == 1 {
        // The partner: present only if part 0 has not given up yet.
        let arrived = met.compareExchange(
          expected: 0, desired: 1, ordering: .acquiringAndReleasing)
        guard arrived.exchanged else { return }
        let deadline = DispatchTime.now().uptimeNanoseconds + tripsWithin
        for i in 0..<(warm + trips) {
          var spins = 0
          while ball.load(ordering: .acquiring) != 2 * i + 1 {
            spins += 1
            // The clock only now and then: reading it every time would lengthen the trip.
            if spins & 255 == 0,
              ball.load(ordering: .relaxed) < 0 || DispatchTime.now().uptimeNanoseconds > deadline
            {
              return
            }
          }
          ball.store(2 * i + 2, ordering: .releasing)
        }
        return
      }
      let start = DispatchTime.now().uptimeNanoseconds
      while met.load(ordering: .acquiring) == 0 {
        if DispatchTime.now().uptimeNanoseconds - start > meetWithin,
          met.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged
        {
          return
        }
      }
      let deadline = DispatchTime.now().uptimeNanoseconds + tripsWithin
      var begun: UInt64 = 0
      for i in 0..<(warm + trips) {
        if i == warm { begun = DispatchTime.now().uptimeNanoseconds }
        ball.store(2 * i + 1, ordering: .releasing)
        var spins = 0
        while ball.load(ordering: .acquiring) != 2 * i + 2 {
          spins += 1
          if spins & 255 == 0, DispatchTime.now().uptimeNanoseconds > deadline {
            ball.store(-1, ordering: .releasing)
            return
          }
        }
      }
      result.store(Int(DispatchTime.now().uptimeNanoseconds - begun), ordering: .relaxed)
    }
    let total = result.load(ordering: .relaxed)
    return total < 0 ? nil : Double(total) / Double(trips)
  }

  /// Runs `body(part)` once for every part in `0..<size`, on the caller and the workers at once
  /// (which thread runs which part is not fixed), and returns when all have finished.
  func run(_ body: (Int) -> Void) {
    if size == 1 {
      body(0)
      return
    }
    withoutActuallyEscaping(body) { job in
      state.job = job
      state.publish()
      state.runParts(size: size)
      state.awaitFinished(size)
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

/// A short wait's steps: 256 plain loads, then the CPU's spin hint (`pause`) for
/// ``pauseNanoseconds``, then `sched_yield` (which hands the core to any other runnable thread).
/// Yielding at once would let any other process — even one at the lowest priority — take the
/// core for a whole time slice between two of a layer's jobs.
struct Backoff {
  /// How long a wait keeps the core (spin hints) before it starts yielding it.
  static let pauseNanoseconds: UInt64 = 50_000
  private var spins = 0
  private var since: UInt64 = 0

  /// Nanoseconds since the first wait that was not a plain load (0 before).
  var elapsed: UInt64 { since == 0 ? 0 : DispatchTime.now().uptimeNanoseconds - since }

  mutating func pause() {
    spins += 1
    if spins < 256 { return }
    let now = DispatchTime.now().uptimeNanoseconds
    if since == 0 { since = now }
    if now - since < Self.pauseNanoseconds {
      hero_cpu_relax()
    } else {
      sched_yield()
    }
  }
}

extension Kernels {
  /// For tests of the team: runs `jobs` jobs on a team of `threads`, each part of each job
  /// calling `work(job, part, onCaller)`, `pause` seconds apart (long enough, the workers block
  /// between jobs); returns how many times each (job, part) ran.
  public static func teamRuns(
    threads: Int, jobs: Int, pause: Double = 0,
    work: @Sendable (_ job: Int, _ part: Int, _ onCaller: Bool) -> Void
  ) -> [[Int]] {
    let team = WorkerTeam(size: threads)
    let counts = TeamCounts(jobs: jobs, parts: team.size)
    let caller = Thread.current
    for job in 0..<jobs {
      if pause > 0 { Thread.sleep(forTimeInterval: pause) }
      team.run { part in
        counts.add(job: job, part: part)
        work(job, part, Thread.current == caller)
      }
    }
    return counts.snapshot()
  }

  /// For tests of the placement probe: probes on a team of `threads` (the round trips, nil where
  /// a probe learnt nothing), back to back until `count` have measured something or `tries`
  /// have run; then 50 jobs on the same team (how many times each part of each ran).
  public static func teamPlacementProbes(
    threads: Int, count: Int, tries: Int, patience: UInt64? = nil
  ) -> (trips: [Double?], partsAfter: [[Int]]) {
    let team = WorkerTeam(size: threads)
    var trips: [Double?] = []
    while trips.count < tries && trips.compactMap({ $0 }).count < count {
      trips.append(
        patience.map { team.probePlacement(meetWithin: $0, tripsWithin: $0) }
          ?? team.probePlacement())
    }
    let counts = TeamCounts(jobs: 50, parts: team.size)
    for job in 0..<50 { team.run { part in counts.add(job: job, part: part) } }
    return (trips, counts.snapshot())
  }

  private final class TeamCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [[Int]]
    init(jobs: Int, parts: Int) {
      counts = Array(repeating: Array(repeating: 0, count: parts), count: jobs)
    }
    func add(job: Int, part: Int) { lock.withLock { counts[job][part] += 1 } }
    func snapshot() -> [[Int]] { lock.withLock { counts } }
  }
}
