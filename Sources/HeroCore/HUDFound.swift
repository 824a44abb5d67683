import Foundation

/// The game picture and the HUD found in one video in real-footage mode (docs/footage.md):
/// what `locate` prints, and what `identify --footage --json` and the batch reports carry as
/// `geometry`. Picture in source pixels; the HUD (scale, shift, button centres and radii) in
/// the pixels of the frame the picture was scaled to (720 lines, aspect ratio kept).
public struct HUDFound: Codable, Sendable, Equatable {
  public struct Button: Codable, Sendable, Equatable {
    public var name: String
    public var cx: Double
    public var cy: Double
    public var r: Double
    public init(_ b: PlacedButton) {
      name = b.name
      cx = b.cx
      cy = b.cy
      r = b.r
    }
  }

  /// The decoded video's size, [width, height].
  public var source: [Int]
  /// The game picture in the source, [x, y, width, height].
  public var picture: [Int]
  /// Whether the picture sits inside a larger layout (a stream) rather than the frame less bars.
  public var inLayout: Bool
  /// The size frames were scaled to, [width, height].
  public var frame: [Int]
  /// The HUD found (nil: none in any key frame).
  public var geometry: HUDGeometry?
  public var buttons: [Button]
  /// Full HUD searches made, and times the tracker moved its lock (a layout change).
  public var searches: Int
  public var changes: Int
  /// The skill slots mostly in the frame at the HUD found, the ones cropped and read (a
  /// picture cut at an edge leaves some out); empty when no HUD was found.
  public var slotsInView: [String]
  /// The container's rotation applied to the frames, degrees clockwise (0, 90, 180, 270):
  /// `source` and `picture` are of the picture as shown.
  public var rotation: Int
  /// Whether the video was read flipped left to right (a mirrored upload: the HUD at the
  /// bottom left); the HUD and crops are of the frames flipped back.
  public var mirrored: Bool

  public init(
    source: [Int], picture: [Int], inLayout: Bool, frame: [Int], geometry: HUDGeometry?,
    buttons: [PlacedButton], searches: Int, changes: Int, slotsInView: [String] = [],
    rotation: Int = 0, mirrored: Bool = false
  ) {
    self.mirrored = mirrored
    self.slotsInView = slotsInView
    self.rotation = rotation
    self.source = source
    self.picture = picture
    self.inLayout = inLayout
    self.frame = frame
    self.geometry = geometry
    self.buttons = buttons.map(Button.init)
    self.searches = searches
    self.changes = changes
  }

  private enum CodingKeys: String, CodingKey {
    case source, picture, inLayout, frame, geometry, buttons, searches, changes, slotsInView
    case rotation, mirrored
  }

  /// Decodes (journals, other machines' files) and checks the array sizes that ``human``
  /// relies on.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    source = try c.decode([Int].self, forKey: .source)
    picture = try c.decode([Int].self, forKey: .picture)
    inLayout = try c.decode(Bool.self, forKey: .inLayout)
    frame = try c.decode([Int].self, forKey: .frame)
    geometry = try c.decodeIfPresent(HUDGeometry.self, forKey: .geometry)
    buttons = try c.decode([Button].self, forKey: .buttons)
    searches = try c.decode(Int.self, forKey: .searches)
    changes = try c.decode(Int.self, forKey: .changes)
    // Journals from before the field: every slot was read.
    slotsInView = try c.decodeIfPresent([String].self, forKey: .slotsInView) ?? []
    rotation = try c.decodeIfPresent(Int.self, forKey: .rotation) ?? 0
    mirrored = try c.decodeIfPresent(Bool.self, forKey: .mirrored) ?? false
    guard source.count == 2, picture.count == 4, frame.count == 2, buttons.count <= 16,
      slotsInView.count <= 16, [0, 90, 180, 270].contains(rotation)
    else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: c.codingPath, debugDescription: "geometry: wrong number of values"))
    }
  }

  /// The one-line reason of a video in which no HUD was found.
  public static func notFound(frames: Int) -> String {
    "no HUD found in \(frames) key frames (no attack and skill buttons anywhere near the "
      + "bottom-right corner)"
  }

  /// `source`, `picture`, `in_layout`, `frame`, `hud` ({scale, dx, dy, buttons: {name: [cx, cy,
  /// r]}, slots_in_view: [names]} or null), `searches`, `changes`: `locate`'s fields, and
  /// `identify`'s `geometry`.
  public var fields: [JSONValue.Field] {
    var out: [JSONValue.Field] = [
      .init("source", .array(source.map(JSONValue.int))),
      .init("picture", .array(picture.map(JSONValue.int))),
      .init("in_layout", .bool(inLayout)),
      .init("frame", .array(frame.map(JSONValue.int))),
      .init("rotation", .int(rotation)),
      .init("mirrored", .bool(mirrored)),
    ]
    if let g = geometry {
      let b = buttons.map {
        JSONValue.Field(
          $0.name,
          .array([
            JSONValue.rounded($0.cx, 1), JSONValue.rounded($0.cy, 1), JSONValue.rounded($0.r, 1),
          ]))
      }
      out.append(
        .init(
          "hud",
          .object([
            .init("scale", JSONValue.rounded(g.scale, 3)), .init("dx", JSONValue.rounded(g.dx, 1)),
            .init("dy", JSONValue.rounded(g.dy, 1)), .init("buttons", .object(b)),
            .init("slots_in_view", .array(slotsInView.map(JSONValue.string))),
          ])))
    } else {
      out.append(.init("hud", .null))
    }
    out.append(.init("searches", .int(searches)))
    out.append(.init("changes", .int(changes)))
    return out
  }

  /// One human phrase: "picture 1560x720 at 0,0 of 1560x720 -> 1568x720; HUD scale 1.00,
  /// shift +0,+0 px".
  public var human: String {
    var line =
      "picture \(picture[2])x\(picture[3]) at \(picture[0]),\(picture[1]) of "
      + "\(source[0])x\(source[1])\(inLayout ? " (inside a layout)" : "")"
      + (rotation != 0 ? " (stored turned: rotated \(rotation)° as players do)" : "")
      + (mirrored ? " (mirrored: read flipped back)" : "")
      + " -> \(frame[0])x\(frame[1]); "
    if let g = geometry {
      line +=
        String(format: "HUD scale %.2f", g.scale)
        + ", shift \(Self.signed(g.dx)),\(Self.signed(g.dy)) px"
      let out = buttons.map(\.name).filter { $0.hasPrefix("skill") && !slotsInView.contains($0) }
      if !slotsInView.isEmpty, !out.isEmpty {
        line += "; \(out.joined(separator: ", ")) past the picture's edge (not read)"
      }
    } else {
      line += "no HUD found"
    }
    return line
  }

  static func signed(_ v: Double) -> String {
    let r = Int(v.rounded())
    return r >= 0 ? "+\(r)" : "\(r)"
  }
}
