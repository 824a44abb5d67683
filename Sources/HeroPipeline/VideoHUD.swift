import Foundation
import FrameExtractor
import HeroCore
import Preprocess

/// Where a job reads the HUD of a video: found per video (the default, docs/footage.md) or
/// given (`--fixed-layout`: every frame stretched to the layout's frame, the buttons at the
/// layout's own places, as the mission's original chain did). One path through the jobs: both
/// are a ``VideoHUD`` that sorts each frame and gives the geometry to crop it at.
public enum HUDPlacement: String, Sendable, CaseIterable {
  /// The active picture at 720 lines with its aspect ratio kept; the HUD found per video.
  case found
  /// Frames stretched to the layout's frame; the HUD at the layout's own place.
  case fixed

  /// The decoder options of this placement: `found` asks for the active picture at 720 lines
  /// (any width); `fixed` for the layout's frame size, stretched.
  public func decoding(
    everySeconds: Double?, allFrames: Bool = false, decoderThreads: Int = 0,
    maxFrames: Int? = ExtractOptions.defaultMaxFrames
  ) -> ExtractOptions {
    ExtractOptions(
      everySeconds: everySeconds, allFrames: allFrames, width: Layouts.frameWidth,
      height: Layouts.frameHeight, decoderThreads: decoderThreads,
      activePicture: self == .found, maxFrames: maxFrames)
  }

  /// The value batch journals record (`"footage"`: `on` for found, `off` for fixed; the key
  /// and values of journals written before the placement was the default).
  public var journalValue: String { self == .found ? "on" : "off" }
}

/// One video's HUD as the jobs read it (`extract`, `identify`, `batch`, `serve`, `locate`):
/// each decoded frame is sorted at the HUD, in decode order, and a gameplay frame gets the
/// geometry to crop it at; the first gameplay frame is kept for `--debug-hud`; at the end,
/// ``found(picture:)`` says what was found.
///
/// `found`: a `VideoScreens` tracks the HUD frame after frame (the frame's own match, else the
/// locked one, else the layout's default place). `fixed`: the geometry is given, the identity
/// of the layout's frame, and the frame is sorted there by the run's screen sorter.
public struct VideoHUD: Sendable {
  public let placement: HUDPlacement
  public let layout: LayoutProfile
  private var screens: VideoScreens?
  /// `found`: the same search on the frames flipped left to right, tried while the HUD is not
  /// found the right way round (a mirrored upload: the buttons at the bottom left, every icon
  /// mirrored). The first of the two to lock decides the video; the other is dropped.
  private var flippedScreens: VideoScreens?
  /// Whether the video is read flipped back (nil until one of the two locks).
  public private(set) var mirrored: Bool?
  private let sorter: ScreenSorter
  public private(set) var frames = 0
  public private(set) var gameplay = 0
  /// The first gameplay frame and the geometry it was read at.
  private var shown: (image: RGBImage, geometry: HUDGeometry)?

  /// `sorter`: the run's screen sorter for the layout (its model also sorts found HUDs);
  /// `sorters`: the screen sorters per found geometry, shared by the videos of a run (nil:
  /// this video's own).
  public init(
    placement: HUDPlacement, layout: LayoutProfile, sorter: ScreenSorter,
    sorters: ScreenSorterCache? = nil
  ) {
    self.placement = placement
    self.layout = layout
    self.sorter = sorter
    screens =
      placement == .found
      ? VideoScreens(layout: layout, model: sorter.model, sorters: sorters) : nil
    flippedScreens = screens
  }

  /// Sorts the video's next frame; a gameplay frame also gets the geometry to crop it at, and
  /// `image` is the frame to crop from (flipped back for a mirrored upload).
  public mutating func sort(_ frame: RGBImage) throws -> (
    decision: ScreenDecision, geometry: HUDGeometry, image: RGBImage
  ) {
    frames += 1
    var image = frame
    let decision: ScreenDecision
    var g = HUDGeometry(frameWidth: frame.width, frameHeight: frame.height)
    if mirrored == true, var f = flippedScreens {
      image = frame.mirrored()
      let r = try f.sort(image)
      flippedScreens = f
      decision = r.decision
      g = r.geometry ?? f.tracker.geometry ?? g
    } else if var s = screens {
      let r = try s.sort(frame)
      screens = s
      var d = r.decision
      if let found = r.geometry ?? s.tracker.geometry { g = found }
      if mirrored == nil, s.tracker.geometry != nil {
        // Found the right way round: not mirrored.
        mirrored = false
        flippedScreens = nil
      } else if mirrored == nil, s.tracker.searches > 0, d.screen != .gameplay || r.geometry == nil,
        var f = flippedScreens
      {
        // Not found the right way round after a search: the mirrored reading too.
        let flipped = frame.mirrored()
        let m = try f.sort(flipped)
        flippedScreens = f
        if f.tracker.geometry != nil {
          mirrored = true
          screens = nil
        }
        if m.decision.screen == .gameplay, let mg = m.geometry ?? f.tracker.geometry {
          d = m.decision
          g = mg
          image = flipped
        }
      }
      decision = d
    } else {
      decision = sorter.sort(frame)
    }
    if decision.screen == .gameplay {
      gameplay += 1
      if shown == nil { shown = (image, g) }
    }
    return (decision, g, image)
  }

  /// The HUD found: the tracker's lock, else the first gameplay frame's geometry (the given
  /// geometry for `fixed`, once a gameplay frame was seen).
  public var geometry: HUDGeometry? {
    (mirrored == true ? flippedScreens : screens)?.tracker.geometry ?? shown?.geometry
  }

  /// What was found, with the decoder's picture (nil for `fixed`, and when the decoder found
  /// no picture: no frame).
  public func found(picture p: PictureBox?) -> HUDFound? {
    guard let p, placement == .found,
      let screens = (mirrored == true ? flippedScreens : screens) ?? flippedScreens
    else { return nil }
    let g = geometry
    return HUDFound(
      source: [p.sourceWidth, p.sourceHeight],
      picture: [p.box.x, p.box.y, p.box.width, p.box.height], inLayout: p.inLayout,
      frame: [p.outputWidth, p.outputHeight], geometry: g,
      buttons: g.map { layout.buttons(at: $0) } ?? [], searches: screens.tracker.searches,
      changes: screens.tracker.changes,
      slotsInView: g.map { Crop.slotsInView(layout: layout, geometry: $0) } ?? [],
      rotation: p.turns.rawValue * 90, mirrored: mirrored == true)
  }

  /// The reason to give when no HUD was found in any frame (nil when one was, and for
  /// `fixed`).
  public var notFoundReason: String? {
    placement == .found && geometry == nil && frames > 0
      ? HUDFound.notFound(frames: frames) : nil
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
      throw DebugFrameError(directory: directory, cause: FileSystemError.cause(of: error))
    }
    return url.path
  }
}

/// A `--debug-hud` folder that cannot be written: one line naming it.
public struct DebugFrameError: Error, CustomStringConvertible {
  public let directory: String
  /// The system's reason ("Not a directory", "No space left on device").
  public let cause: String
  public var description: String {
    "\(MessageText.escaped(directory)): cannot write the --debug-hud frame (\(cause))"
  }
}
