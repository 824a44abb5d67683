import ArgumentParser
import Classifier
import Foundation
import FrameExtractor
import HeroCore
import Preprocess

extension IdentifyJob {
  /// The job `identify` and `batch identify` build from their options: the base network, the
  /// model (checked against it), the layout (the model's unless `layout` is given), the screen
  /// sorter, and the decoding options. Sets one level of parallelism: with `parallel` > 1 clips
  /// at once, one BLAS thread and one decoder thread per clip; with one, both use the cores.
  static func load(
    model: String, inception: String?, layout: String?, screenModel: String?, every: Double?,
    parallel: Int
  ) throws -> IdentifyJob {
    let base = try BaseNetwork.load(override: inception)
    let heroModel = try HeroModel.load(from: model, baseNetworkSHA1: base.sha1)
    let profile = try layout.map { try Layouts.load(path: $0) } ?? heroModel.info.layout
    let sorter = try ScreenSorter.load(layout: profile, modelPath: screenModel)
    BLAS.setThreads(parallel > 1 ? 1 : ProcessInfo.processInfo.activeProcessorCount)
    return IdentifyJob(
      model: heroModel, sorter: sorter, layout: profile, base: base,
      options: ExtractOptions(everySeconds: every, decoderThreads: parallel > 1 ? 1 : 0))
  }
}

/// The options of the identification chain that `identify` and `batch identify` share.
struct IdentifyChainOptions: ParsableArguments {
  @Option(help: "At most one key frame per this many seconds.")
  var every: Double?

  @Option(help: "Layout profile (default: the one the model was trained with).")
  var layout: String?

  @Option(help: "Screen sorter model (default: the built-in one).")
  var screenModel: String?

  @Option(help: "Inception v3 weights (default: $HERO_ID_INCEPTION or $HERO_ID_HOME's).")
  var inception: String?

  func validate() throws {
    if let every, let why = ExtractOptions.everyProblem(every) { throw ValidationError(why) }
  }

  /// The job for `model` with `parallel` clips at once (see `IdentifyJob.load`).
  func job(model: String, parallel: Int) throws -> IdentifyJob {
    try IdentifyJob.load(
      model: model, inception: inception, layout: layout, screenModel: screenModel, every: every,
      parallel: parallel)
  }
}
