import CLibAV
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
  /// Active-picture mode: the frames decoded while the picture was being found, waiting to be
  /// handed out (each a reference the decoder frees).
  private var held: [(frame: UnsafeMutablePointer<AVFrame>, pts: Double)] = []
  /// The picture found (active-picture mode), once the first frame is out.
  public private(set) var picture: PictureBox?

  /// Opens `path` (any file libavformat reads) and picks its best video stream.
  /// Throws `ExtractError` when the file is missing, empty, not a video or has no video stream.
  public init(path: String, options: ExtractOptions = .init()) throws {
    if let why = options.problem { throw ExtractError.badOptions(path: path, reason: why) }
    self.path = path
    self.options = options
    // Regular files only (links followed): a named pipe or a link to /dev/zero would block
    // libavformat's probe or never end.
    switch FileKind.of(path) {
    case .missing: throw ExtractError.noSuchFile(path: path)
    case .regular: break
    case let kind: throw ExtractError.notARegularFile(path: path, kind: kind.words)
    }
    let attributes = (try? FileManager.default.attributesOfItem(atPath: path)) ?? [:]
    if (attributes[.size] as? NSNumber)?.intValue == 0 {
      throw ExtractError.emptyFile(path: path)
    }
    stream = try VideoStreamDecoder(
      path: path, keyFramesOnly: !options.allFrames, threads: options.decoderThreads)
    if let n = options.maxFrames, let d = stream.durationSeconds, d.isFinite, d > 0 {
      boundGap = d / Double(n)
      if !options.allFrames { stream.minKeyGapSeconds = boundGap }
    }
  }

  /// The work bound's spacing: the duration over `maxFrames` (nil without a bound or a
  /// duration).
  private var boundGap: Double?
  /// Frames dropped by the bound after decoding (every frame mode), and whether it stopped
  /// the video.
  private var boundDropped = 0
  private var boundStopped = false

  deinit {
    for h in held {
      var f: UnsafeMutablePointer<AVFrame>? = h.frame
      av_frame_free(&f)
    }
  }

  /// The next frame, or nil at the end of the stream. Throws `ExtractError.noFrames` at the end
  /// when the whole file gave no frame.
  public func nextFrame() throws -> VideoFrame? {
    guard !done else { return nil }
    if let n = options.maxFrames, handedOut >= n {
      // The bound: a video that still has more frames (no duration, or one that understates).
      boundStopped = try stream.decodeNext() != nil
      done = true
      return nil
    }
    if options.activePicture {
      if picture == nil { try findPicture() }
      if !held.isEmpty {
        var first: UnsafeMutablePointer<AVFrame>? = held[0].frame
        let t = held.removeFirst().pts
        defer { av_frame_free(&first) }
        guard let source = first else { throw ExtractError.outOfMemory(path: path) }
        return try handOut(source, pts: t)
      }
    }
    while let t = try nextKept() {
      if options.activePicture {
        guard let frame = stream.retainCurrentFrame() else {
          throw ExtractError.outOfMemory(path: path)
        }
        var f: UnsafeMutablePointer<AVFrame>? = frame
        defer { av_frame_free(&f) }
        return try handOut(frame, pts: t)
      }
      // A rotated video: scaled as coded to the turned size, then turned as a player shows it.
      let turns = stream.turns
      let coded = turns.shown(width: options.width, height: options.height)
      let image = turns.turn(
        try stream.convertCurrentFrame(width: coded.width, height: coded.height))
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

  /// The next decoded frame's time that `everySeconds` keeps; nil at the end.
  private func nextKept() throws -> Double? {
    while let t = try stream.decodeNext() {
      if options.allFrames, let gap = boundGap, (options.everySeconds ?? 0) < gap {
        // Every-frame mode: the bound's spacing, after decoding (frames depend on each other).
        guard let interval = Self.interval(t, origin: stream.startSeconds ?? 0, every: gap)
        else { continue }
        if let last = lastInterval, interval <= last {
          boundDropped += 1
          continue
        }
        lastInterval = interval
      } else if let every = options.everySeconds {
        // A file can carry any timestamp: an interval that is not a number is dropped, and
        // one past Int64's range is clamped, never converted with a trap.
        guard let interval = Self.interval(t, origin: stream.startSeconds ?? 0, every: every)
        else { continue }
        if let last = lastInterval, interval <= last { continue }
        lastInterval = interval
      }
      return t
    }
    return nil
  }

  /// Active-picture mode: decodes up to `probeFrames` kept frames (holding them), finds the
  /// picture over their grey probes and fixes the output size.
  private func findPicture() throws {
    var probes: [GreyProbe] = []
    var sourceSize = (width: 0, height: 0)
    while held.count < options.probeFrames, let t = try nextKept() {
      guard let frame = stream.retainCurrentFrame() else {
        throw ExtractError.outOfMemory(path: path)
      }
      held.append((frame, t))
      // Everything from here on is in the picture as shown (the container's rotation applied).
      let size = stream.turns.shown(
        width: stream.currentSize.width, height: stream.currentSize.height)
      if sourceSize.width == 0 { sourceSize = size }
      if size == sourceSize, let p = stream.probeCurrentFrame(maxWidth: 640) {
        probes.append(stream.turns.turn(p))
      }
    }
    guard sourceSize.width > 0, let first = probes.first else {
      picture = PictureBox(
        sourceWidth: 0, sourceHeight: 0, box: PixelRect(x: 0, y: 0, width: 0, height: 0),
        outputWidth: options.width, outputHeight: options.height, inLayout: false,
        turns: stream.turns)
      return
    }
    let found = ActivePicture.detect(probes)
    let box = ActivePicture.scale(
      found.picture, fromProbe: first.width, first.height, toFrame: sourceSize.width,
      sourceSize.height)
    let out = ActivePicture.outputSize(for: box, lines: options.height)
    picture = PictureBox(
      sourceWidth: sourceSize.width, sourceHeight: sourceSize.height, box: box,
      outputWidth: out.width, outputHeight: out.height, inLayout: found.inLayout,
      turns: stream.turns)
  }

  /// `source` cut to the picture and scaled to the output size, as the next frame.
  private func handOut(_ source: UnsafeMutablePointer<AVFrame>, pts: Double) throws -> VideoFrame {
    guard let picture, picture.sourceWidth > 0 else {
      throw ExtractError.outOfMemory(path: path)
    }
    var box = picture.box
    let (cw, ch) = (Int(source.pointee.width), Int(source.pointee.height))
    let turns = stream.turns
    let (w, h) = turns.shown(width: cw, height: ch)
    if w != picture.sourceWidth || h != picture.sourceHeight {
      // A size change mid-stream: the same box, in proportion.
      box = ActivePicture.scale(
        box, fromProbe: picture.sourceWidth, picture.sourceHeight, toFrame: w, h)
    }
    // Cut and scaled as coded, then turned as a player shows it.
    let out = turns.shown(width: picture.outputWidth, height: picture.outputHeight)
    let image = turns.turn(
      try stream.convert(
        source, crop: turns.codedRect(box, codedWidth: cw, codedHeight: ch), width: out.width,
        height: out.height))
    let frame = VideoFrame(image: image, ptsSeconds: pts, index: handedOut)
    handedOut += 1
    return frame
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
  public var warnings: [String] {
    var notes = stream.damageReport()
    let skipped = stream.keyPacketsSkipped + boundDropped
    if skipped > 0, let gap = boundGap, let n = options.maxFrames {
      notes.append(
        String(
          format: "more than %d %@: %d skipped, one kept every %.2f s (--max-key-frames)", n,
          options.allFrames ? "frames" : "key frames", skipped, gap))
    }
    if boundStopped, let n = options.maxFrames {
      notes.append(
        "stopped after \(n) frames, the rest of the video unread (--max-key-frames; "
          + (boundGap == nil ? "the container gives no duration" : "its duration understates")
          + ")")
    }
    return notes
  }

  /// Frames the decoder produced so far (before `everySeconds` dropped any).
  public var framesDecoded: Int { stream.framesDecoded }

  /// The video codec's libav name, e.g. "h264".
  public var codecName: String { stream.codecName }
}

/// Where the game picture was found in a video's frames (active-picture mode).
public struct PictureBox: Sendable, Equatable {
  /// The decoded frames' size (as shown: turned by the container's rotation).
  public var sourceWidth: Int
  public var sourceHeight: Int
  /// The picture in source pixels (bars removed; the game inside a stream layout).
  public var box: PixelRect
  /// The size frames are handed out at: the picture scaled to `ExtractOptions.height` lines
  /// with its aspect ratio kept (width rounded to a multiple of 16).
  public var outputWidth: Int
  public var outputHeight: Int
  /// Whether the picture is part of a larger layout (a stream), not just the frame less bars.
  public var inLayout: Bool
  /// The container's rotation, applied (source size and box are of the picture as shown).
  public var turns: QuarterTurns = .none
}
