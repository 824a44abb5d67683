import ArgumentParser
import Classifier
import Foundation
import FrameExtractor
import HeroCore
import HeroReport
import Preprocess

struct Identify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "identify",
    abstract: "Name the hero in each clip with a trained model.",
    discussion: """
      Each clip goes through the same chain as training data (key frames, rescale to 1280x720, \
      screen sorting, skill-2 crop, bottleneck, final layer); the gameplay frames' \
      log-probabilities are averaged into one answer. When no gameplay frame is found, or the \
      crops look too little like the winner's training crops (familiarity: the median over the \
      frames of icon pattern + colour + half the shape similarity, below the model's \
      threshold), the answer is "unknown" (hero null in --json) with a reason. The table shows \
      those medians. Results go to stdout in input order: a table, or one JSON object \
      per clip with --json (CONTRACT.md). See docs/training.md.
      """)

  @Argument(help: "Video clips.")
  var clips: [String]

  @Option(help: "Model directory (from `hero-id train`).")
  var model = "hero-model"

  @Flag(help: "One JSON object per clip on stdout.")
  var json = false

  @OptionGroup var chain: IdentifyChainOptions

  @Option(help: "Clips processed at once.")
  var jobs = 2

  @Option(
    help: """
      Keep each clip's gameplay crops under this folder (for `hero-id report --clip-crops`): \
      DIR/<clip name>-<hash>/NNNN_<t>s.jpg, NNNN the frame's index in the timeline.
      """)
  var cropsDir: String?

  func validate() throws {
    guard !clips.isEmpty else { throw ValidationError("give at least one CLIP") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
  }

  func run() async throws {
    let parallel = min(jobs, clips.count)
    let job = try chain.job(model: model, parallel: parallel)
    let progress = ProgressReporter("identify", total: clips.count, quiet: clips.count < 2)
    let cropsDir = self.cropsDir
    let results = await mapBounded(clips, jobs: parallel) { clip in
      var crops: [(index: Int, t: Double, jpeg: Data)] = []
      var r = job.identify(clip, onCrop: { if cropsDir != nil { crops.append(($0, $1, $2)) } })
      if let cropsDir, case .success = r {
        do { try ClipCrops.save(crops, clip: clip, directory: cropsDir) } catch {
          r = .failure(error)
        }
      }
      progress.advance()
      return r
    }
    if clips.count > 1 { progress.finish() }
    var failed = 0
    if !json { print(IdentifyTable.header) }
    for (clip, result) in zip(clips, results) {
      switch result {
      case .success(let verdict):
        print(json ? IdentifyTable.json(clip, verdict) : IdentifyTable.row(clip, verdict))
      case .failure(let error):
        failed += 1
        printError("\(error)")
        if json {
          print(JSONValue.object([("video", .string(clip)), ("error", .string("\(error)"))]).text)
        } else {
          print(IdentifyTable.failedRow(clip))
        }
      }
    }
    if failed > 0 { throw ExitCode.failure }
  }
}

/// Everything identifying one clip needs; shared by the tasks (each makes its own network).
struct IdentifyJob: Sendable {
  let model: HeroModel
  let sorter: ScreenSorter
  let layout: LayoutProfile
  let base: BaseNetwork
  let options: ExtractOptions

  /// Key frames → screen → crop (through JPEG, as the training crops were) → bottleneck → final
  /// layer → verdict. Frames are streamed; only the small crops are kept until the end.
  /// `onFrame` hears of every key frame (frames so far, its time, the clip's duration if known);
  /// `onCrop` gets every gameplay crop's JPEG with its timeline index and time.
  func identify(
    _ clip: String, onFrame: (Int, Double, Double?) -> Void = { _, _, _ in },
    onCrop: (Int, Double, Data) -> Void = { _, _, _ in }
  ) -> Result<ClipVerdict, any Error> {
    do {
      let decoder = try KeyFrameDecoder(path: clip, options: options)
      var observations: [FrameObservation] = []
      var crops: [RGBImage] = []
      var gameplayIndex: [Int] = []
      while let frame = try decoder.nextFrame() {
        let screen = sorter.sort(frame.image).screen
        observations.append(FrameObservation(ptsSeconds: frame.ptsSeconds, screen: screen))
        onFrame(observations.count, frame.ptsSeconds, decoder.durationSeconds)
        if screen == .gameplay {
          let jpeg = try Crop.skillJPEG(frame: frame.image, layout: layout)
          onCrop(observations.count - 1, frame.ptsSeconds, jpeg)
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
      return .success(
        ClipVerdict(observations: observations, labels: model.labels, thresholds: model.thresholds))
    } catch let e as ExtractError {
      return .failure(e)
    } catch {
      return .failure(IdentifyError(path: clip, reason: "\(error)"))
    }
  }
}

/// A clip that could not be identified, named.
struct IdentifyError: Error, CustomStringConvertible {
  let path: String
  let reason: String
  var description: String { reason.hasPrefix(path) ? reason : "\(path): \(reason)" }
}

/// The two output forms of `identify`.
enum IdentifyTable {
  static let header =
    pad("CLIP", 40) + pad("HERO", 14) + pad("CONF", 7) + pad("PATTERN", 9) + pad("COLOUR", 8)
    + pad("SHAPE", 7) + pad("FAMILIAR", 10)
    + pad("FRAMES", 8)
    + pad("GAMEPLAY", 10) + "NOTE"

  static func row(_ clip: String, _ v: ClipVerdict) -> String {
    let note = v.hero == nil ? (v.reason ?? "") : topNote(v)
    return pad(clip, 40) + pad(v.hero ?? "unknown", 14)
      + pad(String(format: "%.3f", v.confidence), 7)
      + pad(v.patternSimilarity.map { String(format: "%.3f", $0) } ?? "-", 9)
      + pad(v.colourSimilarity.map { String(format: "%.3f", $0) } ?? "-", 8)
      + pad(v.similarity.map { String(format: "%.3f", $0) } ?? "-", 7)
      + pad(v.familiarity.map { String(format: "%.3f", $0) } ?? "-", 10)
      + pad(String(v.frames), 8)
      + pad(String(v.gameplayFrames), 10) + note
  }

  static func failedRow(_ clip: String) -> String { pad(clip, 40) + "error (see stderr)" }

  static func topNote(_ v: ClipVerdict) -> String {
    guard v.top.count > 1 else { return "" }
    return "next: "
      + v.top.dropFirst().map { "\($0.hero) \(String(format: "%.3f", $0.p))" }
      .joined(separator: ", ")
  }

  /// Pads to `width` terminal columns (CJK characters count two).
  static func pad(_ s: String, _ width: Int) -> String {
    let columns = s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x1100 ? 2 : 1) }
    return s + String(repeating: " ", count: max(1, width - columns))
  }

  /// CONTRACT.md's line: video, hero, confidence, frames, gameplay_frames, top, timeline (plus
  /// reason when unknown).
  static func json(_ clip: String, _ v: ClipVerdict) -> String {
    var fields: [(String, JSONValue)] = [
      ("video", .string(clip)), ("hero", .optional(v.hero)),
      ("confidence", .rounded(v.confidence)),
    ]
    if let reason = v.reason { fields.append(("reason", .string(reason))) }
    fields += [
      ("frames", .int(v.frames)), ("gameplay_frames", .int(v.gameplayFrames)),
      (
        "top",
        .array(v.top.map { .object([("hero", .string($0.hero)), ("p", .rounded($0.p))]) })
      ),
      (
        "timeline",
        .array(
          v.timeline.map { e in
            .object([
              ("t", .rounded(e.t, 3)), ("screen", .string(e.screen.rawValue)),
              ("hero", .optional(e.hero)), ("p", e.p.map { .rounded($0) } ?? .null),
            ])
          })
      ),
    ]
    return JSONValue.object(fields).text
  }
}
