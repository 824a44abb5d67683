import Foundation
import FrameExtractor
import HeroCore
import Labeler
import Preprocess

/// What became of one video in `extract` (and in `batch extract`, whose journal keeps it).
public struct ExtractResult: Sendable {
  /// The video as given.
  public var video: String
  public var hero: String?
  /// Frames decoded (after `--every`).
  public var frames = 0
  /// Gameplay frames whose crop is in the folder (added now or by an earlier run).
  public var kept = 0
  /// Gameplay frames already extracted by an earlier run (no new file).
  public var alreadyStored = 0
  public var screens: [Screen: Int] = [:]
  /// Crops added by this run, in pts order, as paths under the output folder as given.
  public var crops: [String] = []
  public var warnings: [String] = []
  public var seconds = 0.0
  /// The error ("<path>: …") when the video failed.
  public var error: String?
  /// True when it failed because of the machine (a full disk, a read-only or forbidden output:
  /// ``MachineFailure``), not the video: `extract` then exits 75.
  public var isMachineFailure = false
  /// The picture and HUD found (``HUDFound``; nil with `--fixed-layout`).
  public var geometry: HUDFound?
  /// `--debug-hud`: the annotated frame written.
  public var debugHUD: String?
  /// `--check-with`: what the model says of the label.
  public var labelCheck: LabelCheck?

  public init(video: String) { self.video = video }

  /// The `--json` object (CONTRACT.md): `{"video", "hero", "frames", "kept", "screens",
  /// "crops"}`, also `"geometry"` unless `--fixed-layout` (``HUDFound``; `"reason"` when no HUD was
  /// found, `"debug_hud"` with `--debug-hud`), or `{"video", "error"}`.
  public var json: JSONValue {
    if let error { return .object(["video": .string(video), "error": .string(error)]) }
    return .object([
      "video": .string(video), "hero": .string(hero ?? ""), "frames": .int(frames),
      "kept": .int(kept),
      "screens": .object(Screen.allCases.map { .init($0.rawValue, .int(screens[$0] ?? 0)) }),
      "crops": .strings(crops),
      "geometry": geometry.map { .object($0.fields) },
      "reason": geometry.flatMap { $0.geometry == nil ? HUDFound.notFound(frames: frames) : nil }
        .map { .string($0) },
      "debug_hud": debugHUD.map { .string($0) },
      "label_check": labelCheck.map(\.json),
    ])
  }

  /// The human summary: warnings, then one line (or the error).
  public var summaryLines: [String] {
    let name = MessageText.escaped(video)
    var lines = (warnings + (labelCheck?.warning.map { [$0] } ?? [])).map {
      "\(name): warning: \($0)"
    }
    if let error { return lines + [error] }
    var line = "\(name): hero \(hero ?? "?"), \(frames) frames, \(kept) kept"
    if alreadyStored > 0 { line += " (\(alreadyStored) already extracted)" }
    let rejected = Screen.allCases.filter { $0 != .gameplay }
      .map { "\($0.rawValue) \(screens[$0] ?? 0)" }
    line += ", rejected: " + rejected.joined(separator: ", ")
    line += String(format: ", %d new crops, %.2f s", crops.count, seconds)
    lines.append(line)
    if let g = geometry {
      lines.append(
        "\(MessageText.escaped(video)): "
          + (g.geometry == nil ? HUDFound.notFound(frames: frames) : g.human))
    }
    return lines
  }
}

/// `extract`: videos → key frames → screen sort → skill crop → the crop folder
/// (`OUT/<hero>/<hero>_NNNNNN.jpg`, `index.csv`, `.extract-keys.csv`). Each video's crops are
/// staged, then committed whole through the folder's journal (``BatchStore``), so a run killed
/// at any point leaves no half-added video, and a re-run adds no duplicate.
public struct ExtractJob: Sendable {
  public struct Options: Sendable {
    /// The crop folder.
    public var out = "crops"
    /// Where each video's hero comes from: `--hero`, a manifest, or the parent folder.
    public var labels = LabelSource()
    public var layout = LayoutProfile.default
    /// A screen model from `hero-id screens train` (nil: the built-in one).
    public var screenModel: String?
    public var everySeconds: Double?
    /// Decode every frame, not only key frames.
    public var allFrames = false
    /// Rejected frames go whole to `keepRejected/<screen>/`.
    public var keepRejected: String?
    /// Where the HUD is read (docs/footage.md): `found` (the default: the active picture at 720
    /// lines, the HUD found per video, the crops at the found buttons) or `fixed`
    /// (`--fixed-layout`: the 1280x720 stretch and the layout's own places).
    public var placement = HUDPlacement.found
    /// `--debug-hud`: one annotated frame per video into this folder.
    public var debugHUD: String?
    /// `--slots`: the skill slots cropped from each gameplay frame (names, e.g. "skill1"); the
    /// layout's crop slot's crop is `<hero>_NNNNNN.jpg`, another slot's `<hero>_NNNNNN-<slot>.jpg`
    /// (same number: same frame). Nil: the layout's crop slot alone.
    public var slots: [String]?
    /// Videos at once.
    public var jobs = 2
    /// libavcodec threads per video, overriding the thread policy's.
    public var decoderThreads: Int?
    /// `--check-with`: a model that judges each video's label (``LabelCheck``).
    public var checkWith: String?
    /// `--drop-disagreeing`: keep the crops the check disputes out of the folder.
    public var dropDisagreeing = false
    /// `--inception` for the check's base network (nil: the default weights).
    public var inception: String?
    /// `--max-key-frames`: the per-video work bound (``ExtractOptions/maxFrames``; nil: none).
    public var maxKeyFrames: Int? = ExtractOptions.defaultMaxFrames

    public init() {}
  }

  public var options: Options

  public init(options: Options) { self.options = options }

  /// Extracts `videos`, at most `options.jobs` at once; results in input order. Throws only
  /// when the run cannot start (layout, screen model, crop folder); a failed video is recorded
  /// in its result. Progress: stage "extract", one item per video; each video's summary is a
  /// note.
  public func run(_ videos: [String], control: JobControl) async throws -> [ExtractResult] {
    let policy = ThreadPolicy.forRun(jobs: options.jobs, items: videos.count)
    policy.apply()
    let sorter = try ScreenSorter.load(layout: options.layout, modelPath: options.screenModel)
    let root = URL(fileURLWithPath: options.out, isDirectory: true)
    try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let store = try BatchStore(
      journalURL: root.appendingPathComponent(".batch/journal.jsonl"), cropRoot: root,
      options: [:])
    for n in store.recoveryNotes { control.observer.note("extract: \(n)") }
    let stager = CropStager(
      sorter: sorter, layout: options.layout,
      decoding: options.placement.decoding(
        everySeconds: options.everySeconds, allFrames: options.allFrames,
        decoderThreads: options.decoderThreads ?? policy.decoderThreads,
        maxFrames: options.maxKeyFrames),
      keepRejected: options.keepRejected, store: store, placement: options.placement,
      debugHUD: options.debugHUD, slots: options.slots ?? [options.layout.crop.slot],
      sorters: ScreenSorterCache(layout: options.layout, model: sorter.model))
    let checker = try options.checkWith.map {
      try LabelChecker(
        model: $0, inception: options.inception, placement: options.placement,
        drop: options.dropDisagreeing, videos: videos.count, maxKeyFrames: options.maxKeyFrames)
    }
    let labels = options.labels
    let prefix = options.out.hasSuffix("/") ? options.out : options.out + "/"
    control.observer.begin("extract", total: videos.count)
    // Videos are decoded and staged `policy.tasks` at a time, in any order, but committed in
    // the order given (``InOrder``): crop numbers, and so `train`'s split by file name, are the
    // same on every run of the same command.
    let commits = InOrder<ExtractResult>()
    _ = await mapBounded(Array(videos.enumerated()), jobs: policy.tasks) { item -> Bool in
      let (index, video) = item
      var result = ExtractResult(video: video)
      var staged: StagedExtraction?
      if control.cancellation.isCancelled {
        result.error = "\(MessageText.escaped(video)): cancelled"
      } else {
        do {
          var s = try await stager.stage(
            video, hero: { try labels.hero(for: video) }, control: control)
          do {
            let check = try checker?.check(&s, control: control)
            result = s.result
            result.labelCheck = check
            staged = s
          } catch {
            // Not committed: its staged crops go now (a later run would empty them anyway).
            try? FileManager.default.removeItem(at: s.staging)
            throw error
          }
        } catch {
          result.error = describeVideoError(error, video: video)
          result.isMachineFailure = MachineFailure.isMachineFailure(error)
        }
      }
      let stagedResult = result
      let ready = staged
      await commits.submit(index) {
        var result = stagedResult
        if let staged = ready {
          defer { try? FileManager.default.removeItem(at: staged.staging) }
          do {
            var record = BatchRecord(.done, video: video, hash: staged.videoSHA1)
            record.source = "extract"
            record.hero = staged.video.hero
            record.frames = staged.video.frames
            record.screens = staged.video.screens
            let done = try await store.commitCrops(staged.video, record: record, link: false)
            result.crops = (done.crops ?? []).map { prefix + $0.file }
            result.alreadyStored += staged.video.crops.count - (done.crops?.count ?? 0)
          } catch {
            result.error = describeVideoError(error, video: video)
            result.isMachineFailure = MachineFailure.isMachineFailure(error)
          }
        }
        control.observer.advance("extract")
        for line in result.summaryLines { control.observer.note(line) }
        return result
      }
      return true
    }
    control.observer.finish("extract")
    return await commits.results(count: videos.count)
  }
}

/// A video's crops in its staging folder, ready to commit, and what its frames were.
struct StagedExtraction: Sendable {
  var video: StagedVideo
  /// The staging folder (removed once the crops are committed or abandoned).
  var staging: URL
  var videoSHA1: String
  /// Frames, screens and warnings (crops are filled in after the commit).
  var result: ExtractResult
}

/// The per-video chain of `extract` and `batch extract`: key frames → screen sort → skill crop
/// → JPEG in a staging folder of the crop folder. The work on frame N (sort, crop, encode,
/// write) runs in its own task while frame N+1 is decoded, so a video keeps both cores busy.
struct CropStager: Sendable {
  let sorter: ScreenSorter
  let layout: LayoutProfile
  let decoding: ExtractOptions
  let keepRejected: String?
  let store: BatchStore
  /// Where each video's HUD is read: found (frames of any width at 720 lines, sorted and
  /// cropped at the HUD a per-video ``VideoHUD`` finds) or fixed (the layout's own places).
  var placement = HUDPlacement.found
  /// `--debug-hud`: one annotated frame per video into this folder.
  var debugHUD: String?
  /// The skill slots cropped from each gameplay frame (the layout's crop slot's crop keeps the
  /// plain name).
  var slots: [String] = ["skill2"]
  /// The screen sorters per found HUD geometry, shared by the run's videos.
  var sorters: ScreenSorterCache? = nil

  /// What happened to one frame.
  private struct FrameResult: Sendable {
    var screen: Screen
    var crops: [StagedCrop] = []
    var alreadyStored = false
  }

  /// Stages the gameplay crops of `video`; `hero` gives its label once the video is known to
  /// open (a missing file is the problem to report, not its label). Frames already in the
  /// folder (same content and pts) are counted, not staged again.
  func stage(
    _ video: String, hero: () throws -> String, control: JobControl
  ) async throws -> StagedExtraction {
    let start = Date()
    var result = ExtractResult(video: video)
    let decoder = try KeyFrameDecoder(path: video, options: decoding)
    let label = try hero()
    result.hero = label
    let videoSHA1: String
    do { videoSHA1 = try SHA1.hex(fileAt: video) } catch {
      throw ExtractError.noSuchFile(path: video)
    }
    let staging = try await store.stagingFolder(hash: videoSHA1)
    let stem = URL(fileURLWithPath: video).deletingPathExtension().lastPathComponent
    var crops: [StagedCrop] = []
    var pending: Task<FrameResult, any Error>?
    // The HUD is tracked frame after frame, in order, before the frame's task.
    var hud = VideoHUD(placement: placement, layout: layout, sorter: sorter, sorters: sorters)
    func collect(_ r: FrameResult) {
      result.screens[r.screen, default: 0] += 1
      guard r.screen == .gameplay else { return }
      result.kept += 1
      crops.append(contentsOf: r.crops)
      if r.alreadyStored { result.alreadyStored += 1 }
    }
    do {
      while let frame = try decoder.nextFrame() {
        try control.checkCancelled()
        result.frames += 1
        if let previous = pending { collect(try await previous.value) }
        let index = result.frames
        let seen = try hud.sort(frame.image)
        pending = Task { [seen] in
          try await process(
            frame, index: index, videoSHA1: videoSHA1, stem: stem, staging: staging, seen: seen)
        }
      }
      if let previous = pending { collect(try await previous.value) }
    } catch {
      result.warnings = decoder.warnings
      try? FileManager.default.removeItem(at: staging)
      throw error
    }
    result.warnings = decoder.warnings
    result.geometry = hud.found(picture: decoder.picture)
    if let dir = debugHUD {
      result.debugHUD = try hud.writeDebugFrame(video: video, directory: dir)
    }
    var screens: [String: Int] = [:]
    for s in Screen.allCases { screens[s.rawValue] = result.screens[s] ?? 0 }
    result.seconds = Date().timeIntervalSince(start)
    return StagedExtraction(
      video: StagedVideo(hero: label, frames: result.frames, screens: screens, crops: crops),
      staging: staging, videoSHA1: videoSHA1, result: result)
  }

  private func process(
    _ frame: VideoFrame, index: Int, videoSHA1: String, stem: String, staging: URL,
    seen: (decision: ScreenDecision, geometry: HUDGeometry, image: RGBImage)
  ) async throws -> FrameResult {
    let decision = seen.decision
    guard decision.screen == .gameplay else {
      if let dir = keepRejected {
        // The video's stem and content key: videos of the same name in different folders never
        // overwrite each other's frames.
        let name = String(
          format: "%@-%@_%.3fs.jpg", stem, String(videoSHA1.prefix(8)), frame.ptsSeconds)
        let url = URL(fileURLWithPath: dir).appendingPathComponent(decision.screen.rawValue)
          .appendingPathComponent(name)
        let data = try JPEG.encode(frame.image, quality: Crop.jpegQuality)
        do { try AtomicFile.write(data, to: url) } catch {
          throw WriteError(path: url.path, what: "rejected frame", error: error)
        }
      }
      return FrameResult(screen: decision.screen)
    }
    // Only the slots in view (a picture cut at an edge leaves some out) that this frame has no
    // crop of yet (an earlier run may have taken fewer).
    var wanted: [String] = []
    let read = slots.filter { Crop.inView(layout: layout, geometry: seen.geometry, slot: $0) }
    guard !read.isEmpty else { return FrameResult(screen: .gameplay) }
    for slot in read {
      let suffix = slot == layout.crop.slot ? nil : slot
      if await !store.contains(videoSHA1: videoSHA1, ptsSeconds: frame.ptsSeconds, slot: suffix) {
        wanted.append(slot)
      }
    }
    guard !wanted.isEmpty else { return FrameResult(screen: .gameplay, alreadyStored: true) }
    var crops: [StagedCrop] = []
    for slot in wanted {
      let suffix = slot == layout.crop.slot ? nil : slot
      let jpeg = try Crop.skillJPEG(
        frame: seen.image, layout: layout, geometry: seen.geometry, slot: slot)
      let name = String(format: "%06d", index) + (suffix.map { "-" + $0 } ?? "") + ".jpg"
      let url = staging.appendingPathComponent(name)
      do { try jpeg.write(to: url) } catch {
        throw WriteError(path: url.path, what: "staged crop", error: error)
      }
      StopPoint.reach("crop-staged")
      crops.append(
        StagedCrop(
          file: url, ptsSeconds: frame.ptsSeconds, screen: Screen.gameplay.rawValue, slot: suffix))
    }
    return FrameResult(screen: .gameplay, crops: crops)
  }
}

/// One line for `error`, naming the file (errors that don't name one get the video's path).
func describeVideoError(_ error: any Error, video: String) -> String {
  let text = "\(error)"
  let name = MessageText.escaped(video)
  return text.hasPrefix(name) ? text : "\(name): \(text)"
}
