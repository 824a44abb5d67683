import Foundation
import FrameExtractor
import HeroCore
import Preprocess

/// One video in real-footage mode (docs/footage.md), as `locate`, `identify --footage` and
/// `extract --footage` read it: each decoded frame (the active picture at 720 lines) is sorted
/// at the HUD a `VideoScreens` tracks, in decode order; the first gameplay frame is kept for
/// `--debug-hud`; at the end, ``found(picture:)`` says what was found.
public struct FootageVideo: Sendable {
  public let layout: LayoutProfile
  public private(set) var screens: VideoScreens
  public private(set) var frames = 0
  public private(set) var gameplay = 0
  /// The first gameplay frame and the geometry it was read at.
  private var shown: (image: RGBImage, geometry: HUDGeometry)?

  /// `sorters`: screen sorters shared by the videos of a run (nil: this video's own).
  public init(
    layout: LayoutProfile, model: ScreenModel = .default, sorters: ScreenSorterCache? = nil
  ) {
    self.layout = layout
    screens = VideoScreens(layout: layout, model: model, sorters: sorters)
  }

  /// The decoder options of footage mode: the active picture, 720 lines.
  public static func decoding(everySeconds: Double?, decoderThreads: Int = 0) -> ExtractOptions {
    ExtractOptions(everySeconds: everySeconds, decoderThreads: decoderThreads, activePicture: true)
  }

  /// Sorts the video's next frame; a gameplay frame also gets the geometry to crop it at (the
  /// frame's own match, else the locked one, else the layout's default place).
  public mutating func sort(_ image: RGBImage) throws -> (
    decision: ScreenDecision, geometry: HUDGeometry
  ) {
    frames += 1
    let r = try screens.sort(image)
    let g =
      r.geometry ?? screens.tracker.geometry
      ?? HUDGeometry(frameWidth: image.width, frameHeight: image.height)
    if r.decision.screen == .gameplay {
      gameplay += 1
      if shown == nil { shown = (image, g) }
    }
    return (r.decision, g)
  }

  /// The HUD found: the tracker's lock, else the first gameplay frame's geometry.
  public var geometry: HUDGeometry? { screens.tracker.geometry ?? shown?.geometry }

  /// What was found, with the decoder's picture (nil when the decoder found none: not in
  /// active-picture mode, or no frame).
  public func found(picture p: PictureBox?) -> HUDFound? {
    guard let p else { return nil }
    let g = geometry
    return HUDFound(
      source: [p.sourceWidth, p.sourceHeight],
      picture: [p.box.x, p.box.y, p.box.width, p.box.height], inLayout: p.inLayout,
      frame: [p.outputWidth, p.outputHeight], geometry: g,
      buttons: g.map { layout.buttons(at: $0) } ?? [], searches: screens.tracker.searches,
      changes: screens.tracker.changes)
  }

  /// The reason to give when no HUD was found in any frame (nil when one was).
  public var notFoundReason: String? {
    geometry == nil && frames > 0 ? HUDFound.notFound(frames: frames) : nil
  }

  /// `--debug-hud DIR`: writes `DIR/<stem>-hud.jpg`, the first gameplay frame with the buttons
  /// and crop squares drawn; returns its path (nil when the video had no gameplay frame).
  public func writeDebugFrame(video: String, directory: String) throws -> String? {
    guard let (image, g) = shown else { return nil }
    let stem = URL(fileURLWithPath: video).deletingPathExtension().lastPathComponent
    let url = URL(fileURLWithPath: directory).appendingPathComponent(stem + "-hud.jpg")
    let drawn = HUDDrawing.annotate(image, layout: layout, geometry: g)
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
      try AtomicFile.write(JPEG.encode(drawn, quality: 90), to: url)
    } catch {
      throw DebugFrameError(directory: directory)
    }
    return url.path
  }
}

/// A `--debug-hud` folder that cannot be written: one line naming it.
public struct DebugFrameError: Error, CustomStringConvertible {
  public let directory: String
  public var description: String {
    "\(directory): cannot write the --debug-hud frame (not a writable folder)"
  }
}
