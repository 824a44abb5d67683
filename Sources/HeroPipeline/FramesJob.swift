import Foundation
import FrameExtractor
import HeroCore
import Preprocess

/// What became of one video in `extract --frames`.
public struct FramesResult: Sendable {
  public var video: String
  /// Frames handed out by the decoder (after `--every`).
  public var frames = 0
  /// Files written, as paths under the output folder as given.
  public var written: [String] = []
  public var warnings: [String] = []
  public var seconds = 0.0
  /// The error description ("<path>: …") when the video failed.
  public var error: String?

  public init(video: String) { self.video = video }

  /// `{"video", "frames", "written", "warnings"}` (warnings only when there are any), or
  /// `{"video", "error"}`.
  public var json: JSONValue {
    if let error { return .object(["video": .string(video), "error": .string(error)]) }
    return .object([
      "video": .string(video), "frames": .int(frames), "written": .strings(written),
      "warnings": warnings.isEmpty ? nil : .strings(warnings),
    ])
  }

  /// The human lines: warnings, then a summary or the error.
  public var summaryLines: [String] {
    var lines = warnings.map { "\(MessageText.escaped(video)): warning: \($0)" }
    if let error { return lines + [error] }
    let rate = seconds > 0 ? Double(frames) / seconds : 0
    lines.append(
      String(
        format: "%@: %d frames in %.2f s (%.1f frames/s), %d written", video, frames, seconds,
        rate, written.count))
    return lines
  }
}

/// `extract --frames`: every decoded frame whole, rescaled, as
/// `OUT/<stem>/<stem>_<NNNNNN>.jpg` (no sorting, no labels). The JPEG of frame N is encoded and
/// written in a task of its own while frame N+1 is decoded (one frame in flight: memory stays
/// at a couple of frames).
public struct FramesJob: Sendable {
  public struct Options: Sendable {
    public var out = "frames"
    public var width = 1280
    public var height = 720
    public var quality = 95
    public var everySeconds: Double?
    public var allFrames = false
    public var jobs = 2
    /// libavcodec threads per video, overriding the thread policy's.
    public var decoderThreads: Int?
    public init() {}
  }

  public var options: Options

  public init(options: Options) { self.options = options }

  /// Writes the frames of `videos`; results in input order (a failure is recorded, not thrown).
  public func run(_ videos: [String], control: JobControl) async -> [FramesResult] {
    let policy = ThreadPolicy.forRun(jobs: options.jobs, items: videos.count)
    let decoding = ExtractOptions(
      everySeconds: options.everySeconds, allFrames: options.allFrames, width: options.width,
      height: options.height, decoderThreads: options.decoderThreads ?? policy.decoderThreads)
    let writer = FrameWriter(directory: options.out, quality: options.quality)
    let work = Array(zip(videos, Self.uniqueStems(videos)))
    control.observer.begin("frames", total: videos.count)
    let results = await mapBounded(work, jobs: policy.tasks) { video, label in
      let r = await Self.writeFrames(
        video, label: label, decoding: decoding, writer: writer, control: control)
      control.observer.advance("frames")
      for line in r.summaryLines { control.observer.note(line) }
      return r
    }
    control.observer.finish("frames")
    return results
  }

  private static func writeFrames(
    _ video: String, label: String, decoding: ExtractOptions, writer: FrameWriter,
    control: JobControl
  ) async -> FramesResult {
    let start = Date()
    var result = FramesResult(video: video)
    var pending: Task<String, any Error>?
    do {
      let decoder = try KeyFrameDecoder(path: video, options: decoding)
      defer { result.warnings = decoder.warnings }
      while let frame = try decoder.nextFrame() {
        try control.checkCancelled()
        result.frames += 1
        if let previous = pending { result.written.append(try await previous.value) }
        pending = Task { try writer.write(frame.image, label: label, number: frame.index + 1) }
      }
      if let previous = pending { result.written.append(try await previous.value) }
      pending = nil
    } catch {
      if let previous = pending, let path = try? await previous.value {
        result.written.append(path)
      }
      result.error = describeVideoError(error, video: video)
    }
    result.seconds = Date().timeIntervalSince(start)
    return result
  }

  /// The output label of each video: its file-name stem, made unique within the run (the
  /// second `a.mp4` becomes `a-2`, or `a-3` if some video is already called `a-2`).
  public static func uniqueStems(_ videos: [String]) -> [String] {
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
}

/// Writes a frame as `<directory>/<label>/<label>_<NNNNNN>.jpg` (libjpeg-turbo, atomically);
/// paths are reported as `directory` was given (relative stays relative).
struct FrameWriter: Sendable {
  let directory: String
  let quality: Int

  func write(_ image: RGBImage, label: String, number: Int) throws -> String {
    let name = label + "_" + String(format: "%06d", number) + ".jpg"
    let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    let path = (base.isEmpty ? "" : base + "/") + label + "/" + name
    let data = try JPEG.encode(image, quality: quality)
    do { try AtomicFile.write(data, to: URL(fileURLWithPath: path)) } catch {
      throw WriteError(path: path, what: "frame", error: error)
    }
    return path
  }
}
