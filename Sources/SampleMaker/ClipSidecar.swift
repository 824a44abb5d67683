import Foundation
import HeroCore

/// The JSON file beside each clip (same stem, `.json`): the ground truth of what it shows.
///
/// ```json
/// {"clip": "李白_1.mp4", "hero": "李白", "seed": 1234, "width": 960, "height": 540, "fps": 30,
///  "keyint": 30, "bitrate_kbps": 300, "hud_offset": [2, -3], "duration": 28.0,
///  "spans": [{"start": 0, "end": 4, "screen": "loading"}, {"start": 4, "end": 28, "screen": "gameplay"}]}
/// ```
/// `hero` is null for a clip without gameplay. `hud_offset` is in pixels of the canonical
/// 1280x720 frame. Spans cover `0..<duration` in order; a span's screen is fully shown from the
/// frame at its `start` (hard cuts, times are multiples of 0.5 s).
public struct ClipSidecar: Decodable, Sendable, Equatable {
  public var clip: String
  public var hero: String?
  public var seed: UInt64
  public var width: Int
  public var height: Int
  public var fps: Int
  public var keyint: Int
  public var bitrateKbps: Int
  public var hudOffset: [Int]
  public var duration: Double
  public var spans: [ScreenSpan]
  /// The ground truth of a footage-style clip (device aspect, upload, HUD); nil (and absent
  /// from the file) for a standard clip.
  public var footage: FootageTruth?
  /// The hero's skin (`HeroSpec.skinned`); nil (and absent from the file) for the default icons.
  public var skin: Int?
  /// The re-upload transforms (``Reupload``); nil (and absent from the file) for none.
  public var reupload: Reupload?

  enum CodingKeys: String, CodingKey {
    case clip, hero, seed, width, height, fps, keyint
    case bitrateKbps = "bitrate_kbps"
    case hudOffset = "hud_offset"
    case duration, spans, footage, skin, reupload
  }

  public init(spec: ClipSpec, clip: String) {
    self.clip = clip
    hero = spec.hero?.name
    seed = spec.seed
    width = spec.width
    height = spec.height
    fps = spec.fps
    keyint = spec.keyint
    bitrateKbps = spec.bitrateKbps
    hudOffset = [spec.look.hudDX, spec.look.hudDY]
    duration = spec.duration
    spans = spec.spans
    footage = spec.style.map { FootageTruth(style: $0, spec: spec) }
    skin = spec.skin > 0 ? spec.skin : nil
    reupload = spec.reupload.flatMap { $0.isIdentity ? nil : $0 }
  }

  /// The screen at `seconds` (the span with start <= seconds < end; the last span past the end).
  public func screen(at seconds: Double) -> Screen? {
    spans.first { seconds >= $0.start && seconds < $0.end }?.screen ?? spans.last?.screen
  }

  /// The sidecar as JSON text, keys in the documented order, one span per line, UTF-8 names
  /// unescaped; `hero` is written as null, not left out, when there is none.
  public func jsonData() -> Data {
    func quoted(_ s: String) -> String { JSONString.quote(s) }
    func number(_ x: Double) -> String { x == x.rounded() ? String(format: "%.1f", x) : "\(x)" }
    let spanLines = spans.map {
      "    {\"start\": \(number($0.start)), \"end\": \(number($0.end)), \"screen\": \"\($0.screen.rawValue)\"}"
    }
    let footageText =
      (footage.map { ",\n  \"footage\": " + $0.jsonText(indent: "  ") } ?? "")
      + (skin.map { ",\n  \"skin\": \($0)" } ?? "")
      + (reupload.map { ",\n  \"reupload\": " + $0.jsonText(width: width, height: height) } ?? "")
    let text = """
      {
        "clip": \(quoted(clip)),
        "hero": \(hero.map(quoted) ?? "null"),
        "seed": \(seed),
        "width": \(width),
        "height": \(height),
        "fps": \(fps),
        "keyint": \(keyint),
        "bitrate_kbps": \(bitrateKbps),
        "hud_offset": [\(hudOffset.map(String.init).joined(separator: ", "))],
        "duration": \(number(duration)),
        "spans": [
      \(spanLines.joined(separator: ",\n"))
        ]\(footageText)
      }

      """
    return Data(text.utf8)
  }

  /// Reads the sidecar at `path`.
  public static func load(path: String) throws -> ClipSidecar {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ClipError.writeFailed(path: path, reason: "cannot read sidecar")
    }
    do { return try JSONDecoder().decode(ClipSidecar.self, from: data) } catch {
      throw ClipError.invalidSpec(reason: "\(path): not a clip sidecar")
    }
  }

  /// The sidecar path for a clip path: same folder and stem, `.json`.
  public static func path(forClip clipPath: String) -> String {
    URL(fileURLWithPath: clipPath).deletingPathExtension().appendingPathExtension("json").path
  }
}

/// Renders `spec` and writes it as an H.264 MP4 at `path`, plus its sidecar beside it. Both are
/// written atomically (a temporary file in the same folder, then renamed). `progress` is called
/// with the number of frames done, now and then.
public func writeClip(
  _ spec: ClipSpec, to path: String, progress: ((Int) -> Void)? = nil
) throws {
  try spec.validate()
  let url = URL(fileURLWithPath: path)
  let dir = url.deletingLastPathComponent()
  do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
    throw ClipError.writeFailed(path: dir.path, reason: "cannot create folder")
  }
  let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
  do {
    let renderer = ClipRenderer(spec: spec)
    let reupload = spec.reupload.flatMap { $0.isIdentity ? nil : $0 }
    let stored = reupload?.storedSize(width: spec.width, height: spec.height)
    let encoder = try VideoEncoder(
      path: tmp, width: stored?.width ?? spec.width, height: stored?.height ?? spec.height,
      fps: spec.fps, keyint: spec.keyint, bitrateKbps: spec.bitrateKbps,
      displayMatrixDegrees: reupload?.displayMatrixDegrees)
    let stage = reupload.map {
      ReuploadStage(
        reupload: $0, seed: spec.seed, fps: spec.fps, duration: spec.duration, width: spec.width,
        height: spec.height)
    }
    for i in 0..<renderer.frameCount {
      try renderer.withFramePixels(at: i, through: stage) { px, stride in
        try encoder.encode(bgrx: px, stride: stride, index: i)
      }
      if i % 30 == 29 { progress?(i + 1) }
    }
    try encoder.finish()
    if rename(tmp, path) != 0 {
      throw ClipError.writeFailed(path: path, reason: String(cString: strerror(errno)))
    }
  } catch {
    unlink(tmp)
    throw error
  }
  let sidecar = ClipSidecar(spec: spec, clip: url.lastPathComponent)
  let jsonPath = ClipSidecar.path(forClip: path)
  do { try AtomicFile.write(sidecar.jsonData(), to: URL(fileURLWithPath: jsonPath)) } catch {
    throw ClipError.writeFailed(path: jsonPath, reason: "\(error)")
  }
}

/// The sidecar's `footage` object: how a footage-style clip was framed and where its buttons are.
///
/// ```json
/// "footage": {"style": "phone-20x9-native", "aspect": 2.2222, "upload": "native",
///   "hud_scale": 1.15, "hud_shift": [-32.0, -17.0], "slots": [1, 2, 3], "right_cut": 0.0,
///   "picture": [0.0, 0.0, 1600.0, 720.0], "pixel_scale": 1.0,
///   "buttons": {"skill1": [1300.1, 609.9, 48.3], ..., "attack": [...]}}
/// ```
/// `hud_shift` is in canonical pixels (720 lines) and includes the look's `hud_offset`;
/// `slots[k]` is the hero's skill (1, 2 or 3) shown on skill button k + 1; `picture` is the game
/// picture's box in output pixels (x, y, width, height) and `buttons` the centres and radii in
/// output pixels.
public struct FootageTruth: Codable, Sendable, Equatable {
  public var style: String
  public var aspect: Double
  public var upload: String
  public var hudScale: Double
  public var hudShift: [Double]
  public var slots: [Int]
  public var rightCut: Double
  public var picture: [Double]
  public var pixelScale: Double
  public var buttons: [String: [Double]]

  enum CodingKeys: String, CodingKey {
    case style, aspect, upload
    case hudScale = "hud_scale"
    case hudShift = "hud_shift"
    case slots
    case rightCut = "right_cut"
    case picture
    case pixelScale = "pixel_scale"
    case buttons
  }

  public init(style s: FootageStyle, spec: ClipSpec) {
    let g = FootageGeometry(style: s, look: spec.look, width: spec.width, height: spec.height)
    style = s.name
    aspect = s.aspect
    upload = s.upload.rawValue
    hudScale = s.hudScale
    hudShift = [s.shiftX + Double(spec.look.hudDX), s.shiftY + Double(spec.look.hudDY)]
    slots = s.slots.map { $0 + 1 }
    rightCut = s.rightCut
    picture = [g.picture.x, g.picture.y, g.picture.width, g.picture.height]
    pixelScale = g.pixelScale
    var b: [String: [Double]] = [:]
    for button in g.buttons { b[button.name] = [button.cx, button.cy, button.r] }
    buttons = b
  }

  /// The object as JSON text on a few lines (`indent` before the continuation lines).
  func jsonText(indent: String) -> String {
    func n(_ x: Double) -> String { String(format: "%.1f", x) }
    func list(_ xs: [Double]) -> String { "[" + xs.map(n).joined(separator: ", ") + "]" }
    let buttonText = buttons.keys.sorted().map {
      "\(JSONString.quote($0)): \(list(buttons[$0] ?? []))"
    }
    return """
      {"style": \(JSONString.quote(style)), "aspect": \(String(format: "%.4f", aspect)), \
      "upload": \(JSONString.quote(upload)), "hud_scale": \(String(format: "%.3f", hudScale)), \
      "hud_shift": \(list(hudShift)), "slots": [\(slots.map(String.init).joined(separator: ", "))], \
      "right_cut": \(n(rightCut)),
      \(indent)  "picture": \(list(picture)), "pixel_scale": \(String(format: "%.5f", pixelScale)),
      \(indent)  "buttons": {\(buttonText.joined(separator: ", "))}}
      """
  }
}
