import ArgumentParser
import Foundation
import FrameExtractor
import HeroCore
import Labeler
import Preprocess

/// `hero-id extract`: key frames of each video → screen sort → skill-2 crop of the gameplay
/// frames → labelled JPEGs in `DIR/<hero>/` and rows in `DIR/index.csv` (CONTRACT.md).
///
/// The crop chain is in CropExtraction.swift; `--frames` instead writes every decoded frame
/// whole through the chain of stages in Pipeline.swift (`DIR/<stem>/<stem>_<NNNNNN>.jpg`).
struct Extract: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extract",
    abstract: "Sort the key frames of videos and write labelled skill-2 crops.",
    discussion: """
      Key frames (I-frames) are decoded through libav and rescaled to 1280x720; each is sorted \
      into gameplay, loading, shop or other; the layout's crop square (the second skill button) \
      of every gameplay frame is written as a JPEG (quality 95) named \
      DIR/<hero>/<hero>_<NNNNNN>.jpg, the counter continuing after the files already there, and \
      DIR/index.csv gets a row file,video,pts_seconds,screen,hero for each.

      The hero comes from --hero, else from the --manifest CSV (video,hero rows; relative paths \
      are relative to the manifest), else from the name of the video's parent folder. Any \
      Unicode name works; names that cannot be a folder name (empty, ".", "..", "/", a leading \
      dot, control characters) are refused.

      Running extract again on a video already extracted adds no duplicate crops: frames are \
      keyed by the video's content (SHA-1) and pts, recorded in DIR/.extract-keys.csv.

      --json prints one object per video: {"video", "hero", "frames", "kept", "screens": \
      {"gameplay", "loading", "shop", "other"}, "crops": [new crop files]}; "kept" counts the \
      gameplay frames (crops written now or by an earlier run). A video that fails: \
      {"video", "error"}. A summary per video goes to stderr.

      --frames writes every decoded frame whole instead (DIR/<stem>/<stem>_<NNNNNN>.jpg, no \
      sorting, no labels; --size and --quality apply); its --json objects are {"video", \
      "frames", "written": [...]}.
      """)

  @Argument(help: "Video files (any format libavformat reads).")
  var videos: [String] = []

  @Option(
    name: .long,
    help: ArgumentHelp("Output folder (default: crops, or frames with --frames).", valueName: "DIR")
  )
  var out: String?

  @Option(name: .long, help: ArgumentHelp("The hero of every video given.", valueName: "NAME"))
  var hero: String?

  @Option(
    name: .long,
    help: ArgumentHelp("CSV of video,hero rows naming each video's hero.", valueName: "CSV"))
  var manifest: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "At most one frame per interval of this many seconds (as ffmpeg -r).", valueName: "SECONDS"))
  var every: Double?

  @Option(
    name: .long, help: ArgumentHelp("Layout profile JSON (default: built in).", valueName: "FILE"))
  var layout: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Screen model JSON from `hero-id screens train` (default: built in).", valueName: "FILE"))
  var screenModel: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write the rejected frames whole to DIR/<loading|shop|other>/ for inspection.",
      valueName: "DIR"))
  var keepRejected: String?

  @Flag(name: .long, help: "Write every decoded frame whole instead of sorting and cropping.")
  var frames = false

  @Flag(name: .long, help: "Decode every frame, not only key frames (combine with --every).")
  var allFrames = false

  @Option(
    name: .long, help: ArgumentHelp("Frame size with --frames, WIDTHxHEIGHT.", valueName: "WxH"))
  var size: String = "1280x720"

  @Option(name: .long, help: ArgumentHelp("JPEG quality with --frames, 1 to 100.", valueName: "Q"))
  var quality: Int = 95

  @Option(name: .long, help: "Videos processed in parallel.")
  var jobs: Int = 2

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Decoder threads per video (0: all cores for one video, a share of them with --jobs).",
      visibility: .hidden))
  var decoderThreads: Int = 0

  @Flag(name: .long, help: "One JSON object per video on stdout.")
  var json = false

  func validate() throws {
    guard !videos.isEmpty else { throw ValidationError("give at least one video") }
    guard let (w, h) = Self.parseSize(size) else {
      throw ValidationError("--size must be WIDTHxHEIGHT, e.g. 1280x720 (got \(size))")
    }
    guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1 to 100") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    if let problem = options.problem { throw ValidationError(problem) }
    guard hero == nil || manifest == nil else {
      throw ValidationError("give --hero or --manifest, not both")
    }
    if let hero {
      do { _ = try HeroName.validate(hero, source: "--hero") } catch {
        throw ValidationError("\(error)")
      }
    }
    if frames {
      guard hero == nil, manifest == nil, keepRejected == nil, layout == nil, screenModel == nil
      else {
        throw ValidationError(
          "--frames writes whole frames: --hero, --manifest, --keep-rejected, --layout and "
            + "--screen-model do not apply")
      }
    } else {
      guard (w, h) == (Layouts.frameWidth, Layouts.frameHeight) else {
        throw ValidationError("--size applies only with --frames (crops come from 1280x720 frames)")
      }
    }
  }

  var options: ExtractOptions {
    let (w, h) = Self.parseSize(size) ?? (1280, 720)
    return ExtractOptions(
      everySeconds: every, allFrames: allFrames, width: w, height: h,
      decoderThreads: decoderThreads)
  }

  /// `options` with the decoder threads shared out: one level of parallelism at a time. With
  /// several videos in flight, each decoder gets its share of the cores (1 thread each on 2
  /// cores: measured, same speed, ~20% less memory); with one video, libavcodec's frame threads
  /// use them all.
  var decoderOptions: ExtractOptions {
    var tuned = options
    let parallel = min(jobs, videos.count)
    if decoderThreads == 0, parallel > 1 {
      tuned.decoderThreads = max(1, ProcessInfo.processInfo.activeProcessorCount / parallel)
    }
    return tuned
  }

  static func parseSize(_ text: String) -> (Int, Int)? {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
    guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else { return nil }
    guard (1...16384).contains(w), (1...16384).contains(h) else { return nil }
    return (w, h)
  }

  func run() async throws {
    if frames { try await runFrames() } else { try await runCrops() }
  }

  /// The contract's extract: labelled skill-2 crops of the gameplay frames.
  func runCrops() async throws {
    let layout = try Layouts.load(path: self.layout)
    let sorter = try ScreenSorter.load(layout: layout, modelPath: screenModel)
    let labels = LabelSource(
      hero: try hero.map { try HeroName.validate($0, source: "--hero") },
      manifest: try manifest.map { try Manifest.load(path: $0) })
    let run = CropRun(
      sorter: sorter, layout: layout, options: decoderOptions, labels: labels,
      store: try CropStore(root: out ?? "crops"), keepRejected: keepRejected)
    let outcomes = await mapBounded(videos, jobs: jobs) { video in
      let outcome = await extractCrops(video, run: run)
      outcome.report()
      return outcome
    }
    if json {
      for outcome in outcomes {
        FileHandle.standardOutput.write(Data((outcome.jsonLine + "\n").utf8))
      }
    }
    if outcomes.contains(where: { $0.error != nil }) { throw ExitCode.failure }
  }

  /// `--frames`: every decoded frame, whole, as `DIR/<stem>/<stem>_<NNNNNN>.jpg`.
  func runFrames() async throws {
    let chain = ExtractChain(stages: [
      JPEGWriter(directory: out ?? "frames", quality: quality)
    ])
    let options = decoderOptions
    let labels = Self.uniqueStems(videos)
    let json = self.json
    let work = Array(zip(videos, labels))
    let outcomes = await mapBounded(work, jobs: jobs) { video, label in
      let outcome = await extractVideo(video, label: label, options: options, chain: chain)
      Self.reportOnStderr(outcome)
      return outcome
    }
    for outcome in outcomes where json { Self.printJSON(outcome) }
    if outcomes.contains(where: { $0.error != nil }) { throw ExitCode.failure }
  }

  /// The output label of each video: its file-name stem, made unique within the run (the
  /// second `a.mp4` becomes `a-2`, or `a-3` if some video is already called `a-2`).
  static func uniqueStems(_ videos: [String]) -> [String] {
    let stems = videos.map { video in
      let stem = URL(fileURLWithPath: video).deletingPathExtension().lastPathComponent
      return stem.isEmpty || stem == "." || stem == ".." ? "video" : stem
    }
    var taken = Set<String>()
    var labels: [String] = []
    for (index, stem) in stems.enumerated() {
      var label = stem
      var n = 1
      while taken.contains(label) || (label != stem && stems[(index + 1)...].contains(label)) {
        n += 1
        label = "\(stem)-\(n)"
      }
      taken.insert(label)
      labels.append(label)
    }
    return labels
  }

  /// The human lines for one video on stderr: its warnings, then a summary or the error.
  static func reportOnStderr(_ outcome: VideoOutcome) {
    for warning in outcome.warnings { printError("\(outcome.video): warning: \(warning)") }
    if let error = outcome.error {
      printError(error)
    } else {
      let rate = outcome.seconds > 0 ? Double(outcome.frames) / outcome.seconds : 0
      printError(
        String(
          format: "%@: %d frames in %.2f s (%.1f frames/s), %d written", outcome.video,
          outcome.frames, outcome.seconds, rate, outcome.written.count))
    }
  }

  /// The `--json` line for one video, keys in the documented order:
  /// `{"video": …, "frames": N, "written": […], "warnings": […]}` (warnings only when there are
  /// any), or `{"video": …, "error": …}`.
  static func jsonLine(_ outcome: VideoOutcome) -> String {
    var fields = [("video", JSONText.string(outcome.video))]
    if let error = outcome.error {
      fields.append(("error", JSONText.string(error)))
    } else {
      fields.append(("frames", String(outcome.frames)))
      fields.append(("written", JSONText.array(outcome.written.map(JSONText.string))))
      if !outcome.warnings.isEmpty {
        fields.append(("warnings", JSONText.array(outcome.warnings.map(JSONText.string))))
      }
    }
    return JSONText.object(fields)
  }

  static func printJSON(_ outcome: VideoOutcome) {
    FileHandle.standardOutput.write(Data((jsonLine(outcome) + "\n").utf8))
  }
}

/// Minimal JSON text with keys in a chosen order (JSONEncoder does not keep declaration order
/// on every platform).
enum JSONText {
  static func string(_ s: String) -> String { JSONString.quote(s) }

  static func array(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

  static func object(_ fields: [(String, String)]) -> String {
    "{" + fields.map { string($0.0) + ": " + $0.1 }.joined(separator: ", ") + "}"
  }
}
