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

  enum CodingKeys: String, CodingKey {
    case clip, hero, seed, width, height, fps, keyint
    case bitrateKbps = "bitrate_kbps"
    case hudOffset = "hud_offset"
    case duration, spans
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
        ]
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
    let encoder = try VideoEncoder(
      path: tmp, width: spec.width, height: spec.height, fps: spec.fps, keyint: spec.keyint,
      bitrateKbps: spec.bitrateKbps)
    for i in 0..<renderer.frameCount {
      try renderer.withFramePixels(at: i) { px, stride in
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
