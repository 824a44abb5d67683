import HeroCore

/// Renders the frames of a clip. Any frame can be asked for in any order; the same spec and
/// index always give the same pixels. Holds a Cairo canvas: use one renderer per task.
public struct ClipRenderer {
  public let spec: ClipSpec
  let painter: FramePainter

  public init(spec: ClipSpec) {
    self.spec = spec
    painter = FramePainter(spec: spec)
  }

  /// Frames in the clip: `duration * fps`.
  public var frameCount: Int { spec.frameCount }

  /// The screen shown at frame `index`.
  public func screen(at index: Int) -> Screen { spec.screen(at: index) }

  /// Frame `index` as an RGB image at the output size.
  public func frame(at index: Int) -> RGBImage {
    painter.paint(index)
    return painter.canvas.rgbImage()
  }

  /// Seconds left on the cooldown of skill `slot` (1, 2 or 3) at frame `index`; nil when ready.
  public func cooldown(slot: Int, at index: Int) -> Double? {
    painter.timeline.cooldownLeft(slot: slot - 1, at: Double(index) / Double(spec.fps))
  }

  /// Whether skill `slot` (1, 2 or 3) glows from a recent use at frame `index`.
  public func isGlowing(slot: Int, at index: Int) -> Bool {
    painter.timeline.glow(slot: slot - 1, at: Double(index) / Double(spec.fps)) > 0
  }

  /// Writes frame `index` as a PNG file at `path` (for looking at frames).
  public func writePNG(at index: Int, to path: String) throws {
    painter.paint(index)
    guard painter.canvas.writePNG(path: path) else {
      throw ClipError.writeFailed(path: path, reason: "cannot write PNG")
    }
  }

  /// Paints frame `index`, passes it through `stage` (the re-upload transforms) when given, and
  /// hands its pixels (B, G, R, unused; row stride) to `body`.
  func withFramePixels<R>(
    at index: Int, through stage: ReuploadStage? = nil,
    _ body: (UnsafePointer<UInt8>, Int) throws -> R
  ) rethrows -> R {
    painter.paint(index)
    guard let stage else { return try painter.canvas.withBGRX(body) }
    return try stage.apply(painter.canvas, index: index).withBGRX(body)
  }
}
