import Classifier
import Foundation
import FrameExtractor
import HeroCore
import Inception
import InceptionKernels
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
    /// `--crops-dir`: keep each clip's gameplay crops in its folder here (``ClipCrops``).
    public var cropsDirectory: String?
    /// Where the HUD is read (docs/footage.md): `found` (the default) decodes the active
    /// picture at 720 lines, finds the HUD per clip (``VideoHUD``) and crops at the found
    /// buttons, and the answer carries the geometry; `fixed` (`--fixed-layout`) stretches to
    /// 1280x720 and crops at the layout's own places.
    public var placement = HUDPlacement.found
    /// `--debug-hud`: one annotated frame per clip into this folder.
    public var debugHUD: String?
    /// `--max-key-frames`: the per-video work bound (``ExtractOptions/maxFrames``; nil: none).
    public var maxKeyFrames: Int? = ExtractOptions.defaultMaxFrames
    /// A crop identical to one already encoded in the clip reuses its bottleneck
    /// (``ClipBottlenecks``); off with `HERO_ID_REUSE=off` in the environment.
    public var reuseBottlenecks = BottleneckUse.reuseByDefault
    /// `--precision`: the base network's arithmetic (fp32, or int8: docs/int8.md); nil: the
    /// one the model was trained with (``ModelInfo/trainedPrecision``).
    public var precision: Precision?
    /// Load the base network on another thread while the clips' first key frames are decoded
    /// and sorted (`identify`: a tenth of a second off a one-clip run); the first gameplay crop
    /// waits for it. A weights file that cannot be loaded then fails the clips that needed it,
    /// and ``checkBaseNetwork()`` throws its error after the run. Off: `init` loads it (and
    /// throws) before anything else.
    public var loadBaseInBackground = false
    public init() {}
  }

  public let model: HeroModel
  public let sorter: ScreenSorter
  public let layout: LayoutProfile
  /// The base network, loaded in `init` or on another thread (``Options/loadBaseInBackground``).
  let loader: BaseNetworkLoader
  /// The base network's arithmetic: `--precision`, else the one the model was trained with.
  public let precision: Precision
  public let policy: ThreadPolicy
  let decoding: ExtractOptions
  let cropsDirectory: String?
  let placement: HUDPlacement
  let debugHUD: String?
  let reuseBottlenecks: Bool
  /// The screen sorters per found HUD geometry, shared by every clip.
  let sorters: ScreenSorterCache
  /// The networks the clips' bottlenecks run on, reused from clip to clip.
  let encoders = EncoderPool()

  /// Loads what identifying needs, for `clips` clips (the thread policy depends on how many).
  public init(options: Options, clips: Int) throws {
    let inception = options.inception
    // The weights do not depend on the precision: loaded at once (or begun) before the model,
    // whose precision the encoders take.
    loader = try BaseNetworkLoader(background: options.loadBaseInBackground) {
      try BaseNetwork.load(override: inception)
    }
    do {
      // A weights file loads only when its SHA-1 is the expected one, so that is the base
      // network's SHA-1 the model must have been trained on.
      model = try HeroModel.load(
        from: options.model, baseNetworkSHA1: InceptionConstants.expectedSHA1)
      layout = try options.layout.map { try Layouts.load(path: $0) } ?? model.info.layout
      sorter = try ScreenSorter.load(layout: layout, modelPath: options.screenModel)
      precision = options.precision ?? model.info.trainedPrecision
    } catch {
      // The weights' error first, as when they are loaded before the rest.
      _ = try loader.get()
      throw error
    }
    policy = ThreadPolicy.forRun(jobs: options.jobs, items: clips)
    decoding = options.placement.decoding(
      everySeconds: options.everySeconds, decoderThreads: policy.decoderThreads,
      maxFrames: options.maxKeyFrames)
    cropsDirectory = options.cropsDirectory
    placement = options.placement
    debugHUD = options.debugHUD
    reuseBottlenecks = options.reuseBottlenecks
    sorters = ScreenSorterCache(layout: layout, model: sorter.model)
  }

  /// Throws the error of a base network loaded in the background that could not be loaded
  /// (waiting for the load to end); nothing when it loaded, or was loaded by `init`.
  public func checkBaseNetwork() throws {
    _ = try loader.get()
  }

  /// Identifies `clips`, `policy.tasks` at once; results in input order. Progress: stage
  /// "identify", one item per clip.
  public func run(_ clips: [String], control: JobControl) async -> [Result<
    IdentifyResult, IdentifyError
  >] {
    policy.apply()
    control.observer.begin("identify", total: clips.count)
    let results = await mapBounded(clips, jobs: policy.tasks) { clip in
      var crops: [(index: Int, t: Double, jpeg: Data)] = []
      let keep = self.cropsDirectory != nil
      var r = self.identify(
        clip, control: control, onCrop: { if keep { crops.append(($0, $1, $2)) } })
      if let dir = self.cropsDirectory, case .success = r {
        do { try ClipCrops.save(crops, clip: clip, directory: dir) } catch {
          r = .failure(IdentifyError(path: clip, reason: "\(error)"))
        }
      }
      control.observer.advance("identify")
      return r
    }
    control.observer.finish("identify")
    return results
  }

  /// One clip. Frames are streamed; only the small crops are kept until the end. `onFrame`
  /// hears of every key frame (key frames so far, its time, the clip's duration when the
  /// container says); `onCrop` gets every gameplay crop's JPEG with its timeline index and time
  /// (the web page's progress and thumbnails, `--crops-dir`).
  public func identify(
    _ clip: String, control: JobControl = .silent,
    onFrame: (_ frames: Int, _ ptsSeconds: Double, _ duration: Double?) -> Void = { _, _, _ in },
    onCrop: (_ index: Int, _ ptsSeconds: Double, _ jpeg: Data) -> Void = { _, _, _ in }
  ) -> Result<IdentifyResult, IdentifyError> {
    do {
      let decoder = try KeyFrameDecoder(path: clip, options: decoding)
      var observations: [FrameObservation] = []
      // Every gameplay frame's crops, one per slot the model reads that is in view (a picture
      // cut at an edge leaves some out), in slot order.
      let slots = model.info.cropSlots
      var crops: [RGBImage] = []
      var gameplayIndex: [(frame: Int, crops: Int)] = []
      // Each distinct crop through the network once; the encoder is made on the encoder's
      // queue when the first batch is ready (waiting there, not here, for a base network still
      // loading): a clip with no gameplay crop never builds a network.
      let (loader, policy, precision) = (self.loader, self.policy, self.precision)
      let bottlenecks = ClipBottlenecks(
        reuse: reuseBottlenecks, batchSize: 4,
        makeEncoder: { [encoders] in
          try encoders.take { try loader.get().with(precision: precision).encoder(for: policy) }
        })
      var hud = VideoHUD(placement: placement, layout: layout, sorter: sorter, sorters: sorters)
      while let frame = try decoder.nextFrame() {
        try control.checkCancelled()
        // `image`: the frame as read (flipped back for a mirrored upload).
        let (decision, geometry, image) = try hud.sort(frame.image)
        let screen = decision.screen
        observations.append(FrameObservation(ptsSeconds: frame.ptsSeconds, screen: screen))
        onFrame(observations.count, frame.ptsSeconds, decoder.durationSeconds)
        guard screen == .gameplay else { continue }
        let read = slots.filter { Crop.inView(layout: layout, geometry: geometry, slot: $0) }
        // The thumbnails and `--crops-dir` keep one crop a frame: the layout's crop slot's, else
        // the first slot read.
        let shown = read.contains(layout.crop.slot) ? layout.crop.slot : read.first
        for slot in read {
          let jpeg = try Crop.skillJPEG(
            frame: image, layout: layout, geometry: geometry, slot: slot)
          if slot == shown { onCrop(observations.count - 1, frame.ptsSeconds, jpeg) }
          let crop = try JPEG.decode(jpeg, source: clip)
          crops.append(crop)
          bottlenecks.add(crop)
        }
        // A gameplay frame with no slot in view stays in the timeline, unread.
        if !read.isEmpty { gameplayIndex.append((observations.count - 1, read.count)) }
      }
      if !crops.isEmpty {
        let features = try bottlenecks.finish()
        let seen = model.observe(
          bottlenecks: features, looks: crops.map(CropLook.of),
          ptsSeconds: gameplayIndex.flatMap { e in
            Array(repeating: observations[e.frame].ptsSeconds, count: e.crops)
          })
        var row = 0
        for e in gameplayIndex {
          let frame = Array(seen[row..<(row + e.crops)])
          row += e.crops
          if let combined = FrameObservation.combining(frame) { observations[e.frame] = combined }
        }
      }
      let verdict = ClipVerdict(
        observations: observations, labels: model.labels, thresholds: model.thresholds)
      // Where the hero changes (a compilation); with several segments the file's answer is the
      // longest one's (most gameplay frames; the earliest of equals), the counts and timeline
      // stay the whole clip's.
      let segments = ClipVerdict.segments(
        observations: observations, labels: model.labels, thresholds: model.thresholds)
      var answer = IdentifyResult(verdict)
      if segments.count > 1,
        let longest = segments.enumerated().max(by: {
          $0.element.verdict.gameplayFrames < $1.element.verdict.gameplayFrames
            || ($0.element.verdict.gameplayFrames == $1.element.verdict.gameplayFrames
              && $0.offset > $1.offset)
        })?.element.verdict
      {
        let part = IdentifyResult(longest)
        answer.hero = part.hero
        answer.confidence = part.confidence
        answer.reason = part.reason
        answer.top = part.top
        answer.evidence = part.evidence
      }
      answer.segments = segments.map {
        IdentifyResult.Segment(
          start: $0.start, end: $0.end, hero: $0.verdict.hero, confidence: $0.verdict.confidence,
          frames: $0.verdict.gameplayFrames)
      }
      answer.geometry = hud.found(picture: decoder.picture)
      answer.bottlenecks = bottlenecks.use
      answer.precision = precision.rawValue
      if answer.hero == nil, answer.gameplayFrames == 0, let why = hud.notFoundReason {
        answer.reason = why
      }
      if let dir = debugHUD {
        answer.debugHUD = try hud.writeDebugFrame(video: clip, directory: dir)
      }
      return .success(answer)
    } catch {
      return .failure(IdentifyError(path: clip, reason: "\(error)"))
    }
  }
}

/// A clip that could not be identified, named.
public struct IdentifyError: Error, CustomStringConvertible {
  public let path: String
  public let reason: String
  public var description: String {
    let name = MessageText.escaped(path)
    return reason.hasPrefix(name) ? reason : "\(name): \(reason)"
  }
}

extension IdentifyResult {
  /// The answer of a ``ClipVerdict``.
  public init(_ v: ClipVerdict) {
    self.init(
      hero: v.hero, confidence: v.confidence, reason: v.reason, frames: v.frames,
      gameplayFrames: v.gameplayFrames, top: v.top.map { Candidate(hero: $0.hero, p: $0.p) },
      timeline: v.timeline.map {
        TimelineEntry(t: $0.t, screen: $0.screen, hero: $0.hero, p: $0.p)
      },
      evidence: v.gameplayFrames == 0
        ? nil
        : Evidence(
          pattern: v.patternSimilarity, colour: v.colourSimilarity, shape: v.similarity,
          familiarity: v.familiarity))
  }
}

/// The base network of an ``IdentifyJob``: loaded at once (its error thrown by `init`), or on
/// another thread, waited for by ``BackgroundResult/get()``.
typealias BaseNetworkLoader = BackgroundResult<BaseNetwork>
