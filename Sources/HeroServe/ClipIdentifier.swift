import Foundation
import HeroCore

/// How far the identification of one clip has got.
public struct IdentifyProgress: Sendable, Equatable {
  /// Key frames read so far.
  public var frames: Int
  /// Time of the last key frame read, seconds.
  public var seconds: Double
  /// The clip's duration, when the container says.
  public var duration: Double?

  public init(frames: Int, seconds: Double, duration: Double?) {
    self.frames = frames
    self.seconds = seconds
    self.duration = duration
  }

  /// `seconds / duration`, in 0...1, when the duration is known.
  public var fraction: Double? {
    guard let duration, duration > 0 else { return nil }
    return min(max(seconds / duration, 0), 1)
  }
}

/// One identified clip: the contract's `identify --json` line and its gameplay crops.
public struct IdentifiedClip: Sendable, Equatable {
  /// The contract's JSON object for the clip (CONTRACT.md, `identify --json`), one line.
  public var json: String
  /// The JPEG crops of the gameplay frames, by timeline index.
  public var crops: [Int: Data]

  public init(json: String, crops: [Int: Data]) {
    self.json = json
    self.crops = crops
  }
}

/// What the server calls to identify an uploaded clip: ``PipelineIdentifier`` (the pipeline's
/// identify job); the server never builds the chain itself.
public protocol ClipIdentifier: Sendable {
  /// Identifies the clip stored at `path`, reporting it as `video`. May block for a long time:
  /// the server calls it on its own thread, never on the async pool. Throws a one-line
  /// error naming the file when the upload is not a readable video. Checks `cancellation`
  /// between key frames and throws once it is cancelled (the request's time-out fell).
  func identify(
    path: String, video: String, cancellation: Cancellation,
    progress: @escaping @Sendable (IdentifyProgress) -> Void
  ) throws -> IdentifiedClip
}
