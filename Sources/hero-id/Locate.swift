import ArgumentParser
import Foundation
import FrameExtractor
import HeroCore
import HeroPipeline
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

  /// What was found in one video: the library's ``HUDFound`` with the frame counts.
  struct Found {
    var video: String
    var found: HUDFound?
    var frames = 0
    var gameplay = 0
    var debugFile: String?
    var error: String?

    var reason: String? {
      guard error == nil, found?.geometry == nil, frames > 0 else { return nil }
      return HUDFound.notFound(frames: frames)
    }

    var json: String {
      var fields: [JSONValue.Field] = [.init("video", .string(video))]
      if let error {
        fields.append(.init("error", .string(error)))
        return JSONValue.object(fields).text
      }
      if let found {
        // locate's line: the fields at the top level, searches and changes after the counts.
        fields += found.fields.filter { $0.key != "searches" && $0.key != "changes" }
      } else {
        fields.append(.init("hud", .null))
      }
      fields += [
        .init("frames", .int(frames)), .init("gameplay", .int(gameplay)),
        .init("searches", .int(found?.searches ?? 0)), .init("changes", .int(found?.changes ?? 0)),
      ]
      if let reason { fields.append(.init("reason", .string(reason))) }
      if let debugFile { fields.append(.init("debug_hud", .string(debugFile))) }
      return JSONValue.object(fields).text
    }

    var human: String {
      if let error { return error }
      var line = "\(video): "
      if let found {
        line +=
          found.geometry == nil
          ? found.human.replacingOccurrences(
            of: "no HUD found", with: reason ?? "no HUD found") : found.human
      } else {
        line += reason ?? "no HUD found"
      }
      line += "; \(gameplay) of \(frames) key frames gameplay, \(found?.searches ?? 0) searches"
      return line
    }
  }

  func locate(_ video: String, layout: LayoutProfile) -> Found {
    var result = Found(video: video)
    do {
      let decoder = try KeyFrameDecoder(
        path: video, options: HUDPlacement.found.decoding(everySeconds: every))
      var footage = VideoHUD(
        placement: .found, layout: layout, sorter: try ScreenSorter(layout: layout))
      while let f = try decoder.nextFrame() { _ = try footage.sort(f.image) }
      result.frames = footage.frames
      result.gameplay = footage.gameplay
      result.found = footage.found(picture: decoder.picture)
      if let dir = debugHUD {
        result.debugFile = try footage.writeDebugFrame(video: video, directory: dir)
      }
    } catch {
      result.error = "\(error)".hasPrefix(video) ? "\(error)" : "\(video): \(error)"
    }
    return result
  }
}
