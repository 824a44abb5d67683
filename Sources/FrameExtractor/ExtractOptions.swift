import HeroCore

/// What `KeyFrameDecoder` decodes and how it rescales.
public struct ExtractOptions: Sendable, Equatable {
  /// At most one frame per interval of this many seconds (as `ffmpeg -r`): the first frame at or
  /// after each boundary `start + k × everySeconds` is kept, the rest of the interval dropped.
  /// `nil` keeps every decoded frame.
  public var everySeconds: Double?
  /// Decode every frame, not only key frames (for videos whose key frames are too sparse);
  /// combine with `everySeconds`.
  public var allFrames: Bool
  /// Output width in pixels (frames are stretched to `width`×`height`, as `ffmpeg -s`).
  public var width: Int
  /// Output height in pixels.
  public var height: Int
  /// Decoder threads (`AVCodecContext.thread_count`): 0 lets libavcodec choose (one per core).
  public var decoderThreads: Int
  /// Active-picture mode: find the game picture over the first `probeFrames` frames (black bars
  /// removed, the game inside a stream layout; `ActivePicture`), then hand out every frame cut
  /// to it and scaled to `height` lines with its aspect ratio kept (`width` is then ignored;
  /// `KeyFrameDecoder.picture` says what was found). Off: every frame is stretched to
  /// `width`×`height`.
  public var activePicture: Bool
  /// Frames the active picture is found over (held while it is).
  public var probeFrames: Int
  /// The per-video work bound: at most this many frames handed out. When the container says
  /// the video's duration, frames closer than `duration / maxFrames` to the last one kept are
  /// dropped (key frames before they are decoded), so a video with more frames than the bound
  /// is sampled evenly over its length; a video that still has more (no duration, or one that
  /// understates) stops at the bound, with a warning. Nil: no bound.
  public var maxFrames: Int?

  /// The bound the jobs use by default (`--max-key-frames`): a 20-minute video with a key frame
  /// every 5 s (x264's default interval at 50 fps) is read whole, a longer one sampled; an
  /// all-intra recording of 100,000 key frames costs 240 decodes and sorts (about 35 s on two
  /// cores for one with no HUD, each frame searched for one), not 100,000.
  public static let defaultMaxFrames = 240

  public init(
    everySeconds: Double? = nil, allFrames: Bool = false, width: Int = 1280, height: Int = 720,
    decoderThreads: Int = 0, activePicture: Bool = false, probeFrames: Int = 8,
    maxFrames: Int? = nil
  ) {
    self.maxFrames = maxFrames
    self.everySeconds = everySeconds
    self.allFrames = allFrames
    self.width = width
    self.height = height
    self.decoderThreads = decoderThreads
    self.activePicture = activePicture
    self.probeFrames = probeFrames
  }

  /// The smallest `everySeconds` accepted: one millisecond.
  public static let minEverySeconds = 0.001

  /// Why `seconds` cannot be an `--every` interval (it must be finite and at least 1 ms), or nil.
  public static func everyProblem(_ seconds: Double) -> String? {
    guard seconds.isFinite, seconds >= minEverySeconds else {
      return
        "--every must be a finite number of seconds, at least \(minEverySeconds) (got \(seconds))"
    }
    return nil
  }

  /// Why these options cannot be used, or nil when they can.
  public var problem: String? {
    if let every = everySeconds, let why = Self.everyProblem(every) { return why }
    if !(1...16384).contains(width) || !(1...16384).contains(height) {
      return "frame size must be between 1x1 and 16384x16384 (got \(width)x\(height))"
    }
    if decoderThreads < 0 { return "decoder threads must be 0 (auto) or more" }
    if !(1...64).contains(probeFrames) { return "probe frames must be 1...64" }
    if let n = maxFrames, n < 1 { return "--max-key-frames must be at least 1 (0: no bound)" }
    return nil
  }
}

/// One decoded frame, rescaled to RGB.
public struct VideoFrame: Sendable {
  /// The frame at `ExtractOptions.width`×`height`, RGB24.
  public let image: RGBImage
  /// Presentation time in seconds: the frame's `best_effort_timestamp` × the stream's time base
  /// (the `pts_time` that ffprobe prints).
  public let ptsSeconds: Double
  /// 0 for the first frame this decoder hands out, then 1, 2, … (counts frames handed out, after
  /// `--every` has dropped some).
  public let index: Int

  public init(image: RGBImage, ptsSeconds: Double, index: Int) {
    self.image = image
    self.ptsSeconds = ptsSeconds
    self.index = index
  }
}
