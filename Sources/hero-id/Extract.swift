import ArgumentParser
import FrameExtractor
import Foundation
import HeroCore

/// `hero-id extract`: key frames of each video → (screen sort, skill crop: to come) → JPEGs.
///
/// For now every decoded frame is written whole, rescaled, as `DIR/<stem>/<stem>_<NNNNNN>.jpg`
/// (`<stem>`: the video's file name without extension; a second video with the same stem in one
/// run gets `<stem>-2`, …). The per-frame work is the chain of stages in Pipeline.swift; this file
/// parses options, builds the chain, runs the videos (`--jobs` at a time) and reports.
struct Extract: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extract",
    abstract: "Decode the key frames of videos and write them as JPEGs.",
    discussion: """
      Key frames (I-frames) are decoded through libav; the other frames are discarded before \
      decoding. Each frame is rescaled to --size and written as DIR/<stem>/<stem>_<NNNNNN>.jpg. \
      A video that cannot be read is reported on stderr (one line naming the file) and the \
      others go on; the exit status is then 1.
      """)

  @Argument(help: "Video files (any format libavformat reads).")
  var videos: [String] = []

  @Option(name: .long, help: ArgumentHelp("Output folder.", valueName: "DIR"))
  var out: String = "frames"

  @Option(
    name: .long,
    help: ArgumentHelp(
      "At most one frame per interval of this many seconds (as ffmpeg -r).", valueName: "SECONDS"))
  var every: Double?

  @Flag(name: .long, help: "Decode every frame, not only key frames (combine with --every).")
  var allFrames = false

  @Option(name: .long, help: ArgumentHelp("Frame size, WIDTHxHEIGHT.", valueName: "WxH"))
  var size: String = "1280x720"

  @Option(name: .long, help: ArgumentHelp("JPEG quality, 1 to 100.", valueName: "Q"))
  var quality: Int = 95

  @Option(name: .long, help: "Videos decoded in parallel.")
  var jobs: Int = 2

  @Option(
    name: .long,
    help: ArgumentHelp("Decoder threads per video (0: libavcodec decides).", visibility: .hidden))
  var decoderThreads: Int = 0

  @Flag(name: .long, help: "One JSON object per video on stdout.")
  var json = false

  func validate() throws {
    guard !videos.isEmpty else { throw ValidationError("give at least one video") }
    guard Self.parseSize(size) != nil else {
      throw ValidationError("--size must be WIDTHxHEIGHT, e.g. 1280x720 (got \(size))")
    }
    guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1 to 100") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    if let problem = options.problem { throw ValidationError(problem) }
  }

  var options: ExtractOptions {
    let (w, h) = Self.parseSize(size) ?? (1280, 720)
    return ExtractOptions(
      everySeconds: every, allFrames: allFrames, width: w, height: h,
      decoderThreads: decoderThreads)
  }

  static func parseSize(_ text: String) -> (Int, Int)? {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
    guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else { return nil }
    guard (1...16384).contains(w), (1...16384).contains(h) else { return nil }
    return (w, h)
  }

  func run() async throws {
    let chain = ExtractChain(stages: [
      JPEGWriter(directory: out, quality: quality)
    ])
    let options = self.options
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

  /// The output label of each video: its file-name stem, made unique within the run.
  static func uniqueStems(_ videos: [String]) -> [String] {
    var seen: [String: Int] = [:]
    return videos.map { video in
      var stem = URL(fileURLWithPath: video).deletingPathExtension().lastPathComponent
      if stem.isEmpty || stem == "." || stem == ".." { stem = "video" }
      let n = (seen[stem] ?? 0) + 1
      seen[stem] = n
      return n == 1 ? stem : "\(stem)-\(n)"
    }
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
  static func string(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  static func array(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

  static func object(_ fields: [(String, String)]) -> String {
    "{" + fields.map { string($0.0) + ": " + $0.1 }.joined(separator: ", ") + "}"
  }
}
