import ArgumentParser
import Foundation
import FrameExtractor
import HeroCore
import Preprocess

/// `hero-id locate`: the active picture and the HUD found in each video (docs/footage.md).
struct Locate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Find each video's game picture and its skill buttons; print the geometry.",
    discussion: """
      Decodes the key frames, finds the game picture (black bars removed, the game inside a \
      stream layout) and scales it to 720 lines with its aspect ratio kept, then locates the \
      attack and skill buttons as one constellation anchored to the bottom-right corner (scale \
      0.72-1.34 of the layout, shift up to 72 px). Prints one line per video (--json: one \
      object per line: video, source, picture, frame, hud {scale, dx, dy, buttons}, frames, \
      gameplay, searches, changes; reason when no HUD was found). Exit 1 when a video cannot \
      be read.
      """)

  @Argument(help: "Video files.")
  var videos: [String]

  @Option(help: "At most one key frame per this many seconds.")
  var every: Double?

  @Option(help: "Layout profile JSON (default: the built-in one).")
  var layout: String?

  @Option(
    name: .customLong("debug-hud"),
    help: "Write one annotated frame per video (buttons and crop squares drawn) into this folder.")
  var debugHUD: String?

  @Flag(help: "One JSON object per video on stdout.")
  var json = false

  func validate() throws {
    if let every, !(every > 0 && every.isFinite) {
      throw ValidationError("--every must be a positive number of seconds")
    }
  }

  func run() async throws {
    let profile = try Layouts.load(path: layout)
    var failed = false
    for video in videos {
      let line = locate(video, layout: profile)
      if line.error != nil { failed = true }
      if json {
        print(line.json)
      } else {
        printError(line.human)
      }
    }
    if failed { throw ExitCode(1) }
  }

  /// What was found in one video.
  struct Found {
    var video: String
    var picture: PictureBox?
    var geometry: HUDGeometry?
    var buttons: [PlacedButton] = []
    var frames = 0
    var gameplay = 0
    var searches = 0
    var changes = 0
    var debugFile: String?
    var error: String?

    var reason: String? {
      guard error == nil, geometry == nil else { return nil }
      return gameplay == 0 && frames > 0
        ? "no HUD found in \(frames) key frames (no attack and skill buttons anywhere near the "
          + "bottom-right corner)" : nil
    }

    var json: String {
      var fields: [(String, JSONValue)] = [("video", .string(video))]
      if let error {
        fields.append(("error", .string(error)))
        return JSONValue.object(fields.map { JSONValue.Field($0.0, $0.1) }).text
      }
      if let p = picture {
        fields.append(("source", .array([.int(p.sourceWidth), .int(p.sourceHeight)])))
        fields.append(
          (
            "picture",
            .array([.int(p.box.x), .int(p.box.y), .int(p.box.width), .int(p.box.height)])
          ))
        fields.append(("in_layout", .bool(p.inLayout)))
        fields.append(("frame", .array([.int(p.outputWidth), .int(p.outputHeight)])))
      }
      if let g = geometry {
        let b = buttons.map { b -> (String, JSONValue) in
          (
            b.name,
            .array([
              JSONValue.rounded(b.cx, 1), JSONValue.rounded(b.cy, 1), JSONValue.rounded(b.r, 1),
            ])
          )
        }
        fields.append(
          (
            "hud",
            .object([
              .init("scale", JSONValue.rounded(g.scale, 3)),
              .init("dx", JSONValue.rounded(g.dx, 1)),
              .init("dy", JSONValue.rounded(g.dy, 1)),
              .init("buttons", .object(b.map { JSONValue.Field($0.0, $0.1) })),
            ])
          ))
      } else {
        fields.append(("hud", .null))
      }
      fields += [
        ("frames", .int(frames)), ("gameplay", .int(gameplay)), ("searches", .int(searches)),
        ("changes", .int(changes)),
      ]
      if let reason { fields.append(("reason", .string(reason))) }
      if let debugFile { fields.append(("debug_hud", .string(debugFile))) }
      return JSONValue.object(fields.map { JSONValue.Field($0.0, $0.1) }).text
    }

    var human: String {
      if let error { return error }
      var line = "\(video): "
      if let p = picture {
        line +=
          "picture \(p.box.width)x\(p.box.height) at \(p.box.x),\(p.box.y) of "
          + "\(p.sourceWidth)x\(p.sourceHeight)\(p.inLayout ? " (inside a layout)" : "")"
          + " -> \(p.outputWidth)x\(p.outputHeight); "
      }
      if let g = geometry {
        line += String(format: "HUD scale %.2f, shift %+.0f,%+.0f px", g.scale, g.dx, g.dy)
      } else {
        line += reason ?? "no HUD found"
      }
      line += "; \(gameplay) of \(frames) key frames gameplay, \(searches) searches"
      return line
    }
  }

  func locate(_ video: String, layout: LayoutProfile) -> Found {
    var found = Found(video: video)
    do {
      let decoder = try KeyFrameDecoder(
        path: video, options: ExtractOptions(everySeconds: every, activePicture: true))
      var screens = VideoScreens(layout: layout)
      var shown: (RGBImage, HUDGeometry)?
      while let f = try decoder.nextFrame() {
        found.frames += 1
        let r = try screens.sort(f.image)
        if r.decision.screen == .gameplay {
          found.gameplay += 1
          if shown == nil, let g = screens.tracker.geometry ?? r.geometry { shown = (f.image, g) }
        }
      }
      found.picture = decoder.picture
      found.searches = screens.tracker.searches
      found.changes = screens.tracker.changes
      found.geometry = screens.tracker.geometry ?? shown?.1
      if let g = found.geometry { found.buttons = layout.buttons(at: g) }
      if let dir = debugHUD, let (image, g) = shown {
        let stem = URL(fileURLWithPath: video).deletingPathExtension().lastPathComponent
        let url = URL(fileURLWithPath: dir).appendingPathComponent(stem + "-hud.jpg")
        let drawn = HUDDrawing.annotate(image, layout: layout, geometry: g)
        try AtomicFile.write(JPEG.encode(drawn, quality: 90), to: url)
        found.debugFile = url.path
      }
    } catch {
      found.error = "\(error)".hasPrefix(video) ? "\(error)" : "\(video): \(error)"
    }
    return found
  }
}
