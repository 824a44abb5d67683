import Classifier
import Foundation
import FrameExtractor
import HeroCore
import Inception
import Preprocess

/// `identify`: a clip → key frames → screen sort → skill crop (through JPEG, as the training
/// crops were) → bottleneck → final layer → one answer (``IdentifyResult``), or "unknown".
/// Loaded once (base network, model checked against it, layout, screen sorter), then shared by
/// every task; each clip gets its own network.
public struct IdentifyJob: Sendable {
  public struct Options: Sendable {
    /// The model directory (from `train`).
    public var model = "hero-model"
    /// `--inception`: the weights file (nil: `$HERO_ID_INCEPTION` or the home folder's).
    public var inception: String?
    /// A layout profile file (nil: the one the model was trained with).
    public var layout: String?
    /// A screen model file (nil: the built-in one).
    public var screenModel: String?
    public var everySeconds: Double?
    /// Clips at once.
    public var jobs = 2
    public init() {}
  }

  public let model: HeroModel
  public let sorter: ScreenSorter
  public let layout: LayoutProfile
  public let base: BaseNetwork
  public let policy: ThreadPolicy
  let decoding: ExtractOptions

  /// Loads what identifying needs, for `clips` clips (the thread policy depends on how many).
  public init(options: Options, clips: Int) throws {
    base = try BaseNetwork.load(override: options.inception)
    model = try HeroModel.load(from: options.model, baseNetworkSHA1: base.sha1)
    layout = try options.layout.map { try Layouts.load(path: $0) } ?? model.info.layout
    sorter = try ScreenSorter.load(layout: layout, modelPath: options.screenModel)
    policy = ThreadPolicy.forRun(jobs: options.jobs, items: clips)
    decoding = ExtractOptions(
      everySeconds: options.everySeconds, decoderThreads: policy.decoderThreads)
  }

  /// Identifies `clips`, `policy.tasks` at once; results in input order. Progress: stage
  /// "identify", one item per clip.
  public func run(_ clips: [String], control: JobControl) async -> [Result<
    IdentifyResult, IdentifyError
  >] {
    policy.apply()
    control.observer.begin("identify", total: clips.count)
    let results = await mapBounded(clips, jobs: policy.tasks) { clip in
      let r = self.identify(clip, control: control)
      control.observer.advance("identify", note: clip)
      return r
    }
    control.observer.finish("identify")
    return results
  }

  /// One clip. Frames are streamed; only the small crops are kept until the end.
  public func identify(_ clip: String, control: JobControl = .silent) -> Result<
    IdentifyResult, IdentifyError
  > {
    do {
      let decoder = try KeyFrameDecoder(path: clip, options: decoding)
      var observations: [FrameObservation] = []
      var crops: [RGBImage] = []
      var gameplayIndex: [Int] = []
      while let frame = try decoder.nextFrame() {
        try control.checkCancelled()
        let screen = sorter.sort(frame.image).screen
        observations.append(FrameObservation(ptsSeconds: frame.ptsSeconds, screen: screen))
        if screen == .gameplay {
          let jpeg = try Crop.skillJPEG(frame: frame.image, layout: layout)
          crops.append(try JPEG.decode(jpeg, source: clip))
          gameplayIndex.append(observations.count - 1)
        }
      }
      if !crops.isEmpty {
        let encoder = try base.makeEncoder()
        var features: [Float] = []
        features.reserveCapacity(crops.count * model.layer.inputSize)
        for v in encoder.bottlenecks(crops) { features.append(contentsOf: v) }
        let seen = model.observe(
          bottlenecks: features, looks: crops.map(CropLook.of),
          ptsSeconds: gameplayIndex.map { observations[$0].ptsSeconds })
        for (row, i) in gameplayIndex.enumerated() { observations[i] = seen[row] }
      }
      let verdict = ClipVerdict(
        observations: observations, labels: model.labels, thresholds: model.thresholds)
      return .success(IdentifyResult(verdict))
    } catch {
      return .failure(IdentifyError(path: clip, reason: "\(error)"))
    }
  }
}

/// A clip that could not be identified, named.
public struct IdentifyError: Error, CustomStringConvertible {
  public let path: String
  public let reason: String
  public var description: String { reason.hasPrefix(path) ? reason : "\(path): \(reason)" }
}

extension IdentifyResult {
  /// The answer of a ``ClipVerdict``.
  public init(_ v: ClipVerdict) {
    self.init(
      hero: v.hero, confidence: v.confidence, reason: v.reason, frames: v.frames,
      gameplayFrames: v.gameplayFrames, top: v.top.map { Candidate(hero: $0.hero, p: $0.p) },
      timeline: v.timeline.map { TimelineEntry(t: $0.t, screen: $0.screen, hero: $0.hero, p: $0.p) },
      evidence: v.gameplayFrames == 0
        ? nil
        : Evidence(
          pattern: v.patternSimilarity, colour: v.colourSimilarity, shape: v.similarity,
          familiarity: v.familiarity))
  }
}
