import Foundation
import FrameExtractor
import HeroCore
import Preprocess

// The extract chain: decode → [sort → crop → label: to come] → write.
//
// `KeyFrameDecoder` produces frames; each frame becomes a `FrameItem` that passes through the
// chain's stages in order. A stage may change the item (replace `output` with a crop, set
// `screen` or `label`) or drop it (return nil). The last stage, `JPEGWriter`, writes `output`
// and records the file in `written`. To add screen sorting and the skill crop, write stages
// that conform to `FrameStage` and put them before the writer in `ExtractChain.stages`
// (Extract.swift builds the chain). Stages are Sendable values: the chain for frame N runs in
// its own task while frame N+1 is being decoded.

/// A frame travelling down the extract chain.
struct FrameItem: Sendable {
  /// The decoded frame, rescaled (e.g. to 1280x720).
  let frame: VideoFrame
  /// The video it came from, as given on the command line.
  let video: String
  /// What the writer writes: the whole frame so far, the skill crop once that stage exists.
  var output: RGBImage
  /// The folder and file-name stem the output is filed under (the video's stem so far; the
  /// hero's name once labelling exists).
  var label: String
  /// 1-based number of the output file within its label (`<label>_<NNNNNN>.jpg`).
  var number: Int
  /// The screen class, once a sorting stage has set it.
  var screen: Screen?
  /// The file the writer wrote, once written.
  var written: String?
}

/// One step of the chain: returns the item to pass on (changed or not), or nil to drop it.
protocol FrameStage: Sendable {
  func process(_ item: FrameItem) throws -> FrameItem?
}

/// The stages after decoding, run in order for each frame.
struct ExtractChain: Sendable {
  var stages: [any FrameStage]

  /// Runs `item` through every stage; nil when a stage dropped it.
  func run(_ item: FrameItem) throws -> FrameItem? {
    var current = item
    for stage in stages {
      guard let next = try stage.process(current) else { return nil }
      current = next
    }
    return current
  }
}

/// Writes the item's output as `<directory>/<label>/<label>_<NNNNNN>.jpg` (libjpeg-turbo,
/// atomically) and records the path in `written`.
/// Paths are reported as `directory` was given (relative stays relative).
struct JPEGWriter: FrameStage {
  let directory: String
  let quality: Int

  func process(_ item: FrameItem) throws -> FrameItem? {
    let name = item.label + "_" + Self.sixDigits(item.number) + ".jpg"
    let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    let path = (base.isEmpty ? "" : base + "/") + item.label + "/" + name
    let data = try JPEG.encode(item.output, quality: quality)
    do {
      try AtomicFile.write(data, to: URL(fileURLWithPath: path))
    } catch {
      throw WriteError(path: path, reason: error.localizedDescription)
    }
    var out = item
    out.written = path
    return out
  }

  static func sixDigits(_ n: Int) -> String {
    let digits = String(n)
    return digits.count >= 6 ? digits : String(repeating: "0", count: 6 - digits.count) + digits
  }
}

/// A file that could not be written.
struct WriteError: Error, CustomStringConvertible {
  let path: String
  let reason: String
  var description: String { "\(path): cannot write (\(reason))" }
}

/// What became of one video.
struct VideoOutcome: Sendable {
  var video: String
  /// Frames handed out by the decoder (after `--every`).
  var frames = 0
  var written: [String] = []
  var warnings: [String] = []
  var seconds = 0.0
  /// The error description ("<path>: …") when the video failed.
  var error: String?
}

/// Decodes `video` and runs each frame through `chain`. The chain for one frame runs in a task
/// of its own while the next frame is decoded (at most one frame in flight, so memory stays at
/// a couple of frames). Never throws: a failure is recorded in the outcome.
func extractVideo(
  _ video: String, label: String, options: ExtractOptions, chain: ExtractChain
) async -> VideoOutcome {
  let start = Date()
  var outcome = VideoOutcome(video: video)
  var pending: Task<FrameItem?, any Error>?
  do {
    let decoder = try KeyFrameDecoder(path: video, options: options)
    defer { outcome.warnings = decoder.warnings }
    while let frame = try decoder.nextFrame() {
      outcome.frames += 1
      let item = FrameItem(
        frame: frame, video: video, output: frame.image, label: label, number: frame.index + 1)
      if let previous = pending, let done = try await previous.value, let path = done.written {
        outcome.written.append(path)
      }
      pending = Task { try chain.run(item) }
    }
    if let previous = pending, let done = try await previous.value, let path = done.written {
      outcome.written.append(path)
    }
    pending = nil
  } catch {
    if let previous = pending, let done = try? await previous.value, let path = done.written {
      outcome.written.append(path)
    }
    outcome.error = describe(error, video: video)
  }
  outcome.seconds = Date().timeIntervalSince(start)
  return outcome
}

/// One line for `error`, naming the file (errors that don't name one get the video's path).
func describe(_ error: any Error, video: String) -> String {
  switch error {
  case let e as ExtractError: e.description
  case let e as WriteError: e.description
  default: "\(video): \(error)"
  }
}
