import Foundation
import FrameExtractor
import HeroCore
import Labeler
import Preprocess

// The labelled-crop side of `extract`: key frames → screen sort → skill crop → CropStore.

/// Everything one run of `extract` shares across its videos.
struct CropRun: Sendable {
  let sorter: ScreenSorter
  let layout: LayoutProfile
  let options: ExtractOptions
  let labels: LabelSource
  let store: CropStore
  /// `--keep-rejected DIR`: rejected frames go to `DIR/<reason>/`.
  let keepRejected: String?
}

/// What became of one video in `extract`.
struct CropOutcome: Sendable {
  var video: String
  var hero: String?
  /// Frames decoded (after `--every`).
  var frames = 0
  /// Gameplay frames whose crop is in the store (written now or by an earlier run).
  var kept = 0
  /// Gameplay frames already extracted by an earlier run (no new file).
  var alreadyStored = 0
  var screens: [Screen: Int] = [:]
  /// Crops written by this run, in pts order.
  var crops: [String] = []
  var warnings: [String] = []
  var seconds = 0.0
  var error: String?
}

/// What happened to one frame.
private struct FrameResult: Sendable {
  var screen: Screen
  var crop: String?
  var alreadyStored = false
}

/// Runs one video through the chain. Never throws: a failure is recorded in the outcome. The
/// work on frame N (sort, crop, write) runs in its own task while frame N+1 is decoded.
func extractCrops(_ video: String, run: CropRun) async -> CropOutcome {
  let start = Date()
  var outcome = CropOutcome(video: video)
  var pending: Task<FrameResult, any Error>?
  func collect(_ r: FrameResult) {
    outcome.screens[r.screen, default: 0] += 1
    if r.screen == .gameplay {
      outcome.kept += 1
      if let c = r.crop { outcome.crops.append(c) }
      if r.alreadyStored { outcome.alreadyStored += 1 }
    }
  }
  do {
    // Open the video first: a missing or unreadable file is the problem to report, not its label.
    let decoder = try KeyFrameDecoder(path: video, options: run.options)
    defer { outcome.warnings = decoder.warnings }
    let hero = try run.labels.hero(for: video)
    outcome.hero = hero
    let videoKey: String
    do { videoKey = try SHA1.hex(fileAt: video) } catch {
      throw ExtractError.noSuchFile(path: video)
    }
    let stem = URL(fileURLWithPath: video).deletingPathExtension().lastPathComponent
    while let frame = try decoder.nextFrame() {
      outcome.frames += 1
      if let previous = pending { collect(try await previous.value) }
      pending = Task {
        try await processFrame(
          frame, video: video, videoKey: videoKey, hero: hero, stem: stem, run: run)
      }
    }
    if let previous = pending { collect(try await previous.value) }
    pending = nil
  } catch {
    if let previous = pending, let r = try? await previous.value { collect(r) }
    outcome.error = describeCropError(error, video: video)
  }
  outcome.seconds = Date().timeIntervalSince(start)
  return outcome
}

private func processFrame(
  _ frame: VideoFrame, video: String, videoKey: String, hero: String, stem: String, run: CropRun
) async throws -> FrameResult {
  let decision = run.sorter.sort(frame.image)
  guard decision.screen == .gameplay else {
    if let dir = run.keepRejected {
      // The video's stem and content key: videos of the same name in different folders never
      // overwrite each other's frames.
      let name = String(
        format: "%@-%@_%.3fs.jpg", stem, String(videoKey.prefix(8)), frame.ptsSeconds)
      let url = URL(fileURLWithPath: dir).appendingPathComponent(decision.screen.rawValue)
        .appendingPathComponent(name)
      let data = try JPEG.encode(frame.image, quality: Crop.jpegQuality)
      do { try AtomicFile.write(data, to: url) } catch {
        throw LabelError.storeFailed(path: url.path, reason: "cannot write rejected frame")
      }
    }
    return FrameResult(screen: decision.screen)
  }
  if await run.store.contains(videoKey: videoKey, ptsSeconds: frame.ptsSeconds) {
    return FrameResult(screen: .gameplay, alreadyStored: true)
  }
  let jpeg = try Crop.skillJPEG(frame: frame.image, layout: run.layout)
  let path = try await run.store.add(
    jpeg: jpeg, hero: hero, video: video, videoKey: videoKey, ptsSeconds: frame.ptsSeconds)
  return FrameResult(screen: .gameplay, crop: path, alreadyStored: path == nil)
}

/// One line for `error`, naming the file.
func describeCropError(_ error: any Error, video: String) -> String {
  let text = "\(error)"
  switch error {
  case is ExtractError, is LabelError, is CropError, is JPEGError: return text
  default: return text.hasPrefix(video) ? text : "\(video): \(text)"
  }
}

extension CropOutcome {
  /// The human summary on stderr: warnings, then one line (or the error).
  func report() {
    for w in warnings { printError("\(video): warning: \(w)") }
    if let error {
      printError(error)
      return
    }
    var line = "\(video): hero \(hero ?? "?"), \(frames) frames, \(kept) kept"
    if alreadyStored > 0 { line += " (\(alreadyStored) already extracted)" }
    let rejected = Screen.allCases.filter { $0 != .gameplay }
      .map { "\($0.rawValue) \(screens[$0] ?? 0)" }
    line += ", rejected: " + rejected.joined(separator: ", ")
    line += String(format: ", %d new crops, %.2f s", crops.count, seconds)
    printError(line)
  }

  /// The `--json` line (CONTRACT.md): `{"video", "hero", "frames", "kept", "screens", "crops"}`,
  /// or `{"video", "error"}`.
  var jsonLine: String {
    if let error {
      return JSONText.object([("video", JSONText.string(video)), ("error", JSONText.string(error))])
    }
    let screenFields = Screen.allCases.map { ($0.rawValue, String(screens[$0] ?? 0)) }
    return JSONText.object([
      ("video", JSONText.string(video)),
      ("hero", JSONText.string(hero ?? "")),
      ("frames", String(frames)),
      ("kept", String(kept)),
      ("screens", JSONText.object(screenFields)),
      ("crops", JSONText.array(crops.map(JSONText.string))),
    ])
  }
}
