import Foundation
import HeroCore

/// Decodes the key frames of one video (or all its frames) and hands them out one at a time,
/// rescaled to RGB: only the current frame is held, never the video.
///
/// ```swift
/// let decoder = try KeyFrameDecoder(path: "match.mp4")
/// while let frame = try decoder.nextFrame() { use(frame.image, frame.ptsSeconds) }
/// ```
/// Not Sendable: it owns libav contexts; make one per video, inside one task.
/// Damage is not fatal: damaged packets are skipped and listed in `warnings`; a file that yields
/// no frame at all throws `ExtractError.noFrames` from `nextFrame()`.
public final class KeyFrameDecoder {
  /// The options this decoder was made with.
  public let options: ExtractOptions
  /// The video's path, as given.
  public let path: String
  private let stream: VideoStreamDecoder
  private var lastInterval: Int64?
  private var handedOut = 0
  private var done = false

  /// Opens `path` (any file libavformat reads) and picks its best video stream.
  /// Throws `ExtractError` when the file is missing, empty, not a video or has no video stream.
  public init(path: String, options: ExtractOptions = .init()) throws {
    if let why = options.problem { throw ExtractError.badOptions(path: path, reason: why) }
    self.path = path
    self.options = options
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ExtractError.noSuchFile(path: path)
    }
    guard !isDirectory.boolValue else { throw ExtractError.notARegularFile(path: path) }
    // Only a regular file's size means anything (a pipe or device reports 0).
    let attributes = (try? FileManager.default.attributesOfItem(atPath: path)) ?? [:]
    if attributes[.type] as? FileAttributeType == .typeRegular,
      (attributes[.size] as? NSNumber)?.intValue == 0
    {
      throw ExtractError.emptyFile(path: path)
    }
    stream = try VideoStreamDecoder(
      path: path, keyFramesOnly: !options.allFrames, threads: options.decoderThreads)
  }

  /// The next frame, or nil at the end of the stream. Throws `ExtractError.noFrames` at the end
  /// when the whole file gave no frame.
  public func nextFrame() throws -> VideoFrame? {
    guard !done else { return nil }
    while let t = try stream.decodeNext() {
      if let every = options.everySeconds {
        // A file can carry any timestamp: an interval that is not a number is dropped, and
        // one past Int64's range is clamped, never converted with a trap.
        guard let interval = Self.interval(t, origin: stream.startSeconds ?? 0, every: every)
        else { continue }
        if let last = lastInterval, interval <= last { continue }
        lastInterval = interval
      }
      let image = try stream.convertCurrentFrame(width: options.width, height: options.height)
      let frame = VideoFrame(image: image, ptsSeconds: t, index: handedOut)
      handedOut += 1
      return frame
    }
    done = true
    if stream.framesDecoded == 0 {
      throw ExtractError.noFrames(path: path, detail: stream.damageReport().joined(separator: "; "))
    }
    return nil
  }

  /// The `--every` interval of a frame at `t` seconds: `floor((t - origin) / every)`, clamped to
  /// ±2^62; nil when it is not a number.
  public static func interval(_ t: Double, origin: Double, every: Double) -> Int64? {
    let x = ((t - origin) / every + 1e-9).rounded(.down)
    guard !x.isNaN else { return nil }
    let limit = Double(Int64(1) << 62)
    return Int64(min(max(x, -limit), limit))
  }

  /// The video's duration in seconds, when the container says.
  public var durationSeconds: Double? { stream.durationSeconds }

  /// Damage met so far, one line per kind (e.g. "3 damaged packet(s) skipped (first: at 2.40s:
  /// Invalid data found when processing input)"); empty for a clean file.
  public var warnings: [String] { stream.damageReport() }

  /// Frames the decoder produced so far (before `everySeconds` dropped any).
  public var framesDecoded: Int { stream.framesDecoded }

  /// The video codec's libav name, e.g. "h264".
  public var codecName: String { stream.codecName }
}
