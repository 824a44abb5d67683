import Classifier
import FrameExtractor
import Foundation
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
    let sorter: ScreenSorter
    if let path = screenModel {
      sorter = try ScreenSorter(
        layout: profile, model: ScreenModel.load(path: path), modelSource: path)
    } else {
      sorter = try ScreenSorter(layout: profile)
    }
    BLAS.setThreads(parallel > 1 ? 1 : ProcessInfo.processInfo.activeProcessorCount)
    return IdentifyJob(
      model: heroModel, sorter: sorter, layout: profile, base: base,
      options: ExtractOptions(everySeconds: every, decoderThreads: parallel > 1 ? 1 : 0))
  }
}
