import Foundation
import FrameExtractor
import HeroCore
import Preprocess

/// `hero-id locate`: the game picture and the HUD found in each video (docs/footage.md).
public struct LocateJob: Sendable {
  public let layout: LayoutProfile
  public let everySeconds: Double?
  /// `--debug-hud`: one annotated frame per video into this folder.
  public let debugHUD: String?

  public init(layout: LayoutProfile, everySeconds: Double?, debugHUD: String?) {
    self.layout = layout
    self.everySeconds = everySeconds
    self.debugHUD = debugHUD
  }

  /// One video, streamed; a video that cannot be read gives a result with its `error`.
  public func locate(_ video: String) -> LocateResult {
    var result = LocateResult(video: video)
    do {
      let decoder = try KeyFrameDecoder(
        path: video, options: HUDPlacement.found.decoding(everySeconds: everySeconds))
      var hud = VideoHUD(
        placement: .found, layout: layout, sorter: try ScreenSorter(layout: layout))
      while let f = try decoder.nextFrame() { _ = try hud.sort(f.image) }
      result.frames = hud.frames
      result.gameplay = hud.gameplay
      result.found = hud.found(picture: decoder.picture)
      if let dir = debugHUD {
        result.debugFile = try hud.writeDebugFrame(video: video, directory: dir)
      }
    } catch {
      result.error = describeVideoError(error, video: video)
    }
    return result
  }
}

/// What `locate` found in one video: the library's ``HUDFound`` with the frame counts.
public struct LocateResult: Sendable {
  public init(video: String) { self.video = video }

  public var video: String
  public var found: HUDFound?
  public var frames = 0
  public var gameplay = 0
  public var debugFile: String?
  public var error: String?

  public var reason: String? {
    guard error == nil, found?.geometry == nil, frames > 0 else { return nil }
    return HUDFound.notFound(frames: frames)
  }

  public var json: String {
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

  public var human: String {
    if let error { return error }
    var line = "\(MessageText.escaped(video)): "
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
