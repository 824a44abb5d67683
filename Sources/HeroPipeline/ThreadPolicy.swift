import Foundation
import HeroCore
import InceptionKernels

/// How a run shares the cores, decided once from `--jobs`, the number of items and the core
/// count, and applied once: one level of parallelism at a time (STYLE.md §4). With several
/// items in flight, each gets one decoder thread and one BLAS thread, so the items, not the
/// threads, share the cores; with one item, libavcodec's frame threads and OpenBLAS use them
/// all.
public struct ThreadPolicy: Sendable, Equatable {
  /// Items (videos, clips, image batches) processed at once.
  public var tasks: Int
  /// libavcodec threads per decoder (0: libav's choice, all cores).
  public var decoderThreads: Int
  /// OpenBLAS threads for the whole process.
  public var blasThreads: Int

  public init(tasks: Int, decoderThreads: Int, blasThreads: Int) {
    self.tasks = tasks
    self.decoderThreads = decoderThreads
    self.blasThreads = blasThreads
  }

  /// The policy for `jobs` requested over `items` items on `cores` cores.
  public static func forRun(
    jobs: Int, items: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount
  ) -> ThreadPolicy {
    let tasks = max(1, min(jobs, max(items, 1)))
    let cores = max(1, cores)
    return tasks > 1
      ? ThreadPolicy(tasks: tasks, decoderThreads: max(1, cores / tasks), blasThreads: 1)
      : ThreadPolicy(tasks: 1, decoderThreads: 0, blasThreads: cores)
  }

  /// Sets OpenBLAS's threads. Jobs call this once, at their start.
  public func apply() { BLAS.setThreads(blasThreads) }
}
