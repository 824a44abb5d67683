import Foundation

/// Where the HUD sits in the canonical frame (CONTRACT.md, "The screen layout").
public struct LayoutProfile: Sendable, Equatable, Codable {
  /// A round button: centre and radius in pixels of the canonical frame.
  public struct Slot: Sendable, Equatable, Codable {
    public var cx: Int
    public var cy: Int
    public var r: Int
    public init(cx: Int, cy: Int, r: Int) {
      self.cx = cx
      self.cy = cy
      self.r = r
    }
  }
  public struct FrameSize: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
      self.width = width
      self.height = height
    }
  }
  public struct Crop: Sendable, Equatable, Codable {
    /// The key in `skills` whose button is cropped.
    public var slot: String
    /// Side of the square crop in pixels.
    public var size: Int
    public init(slot: String, size: Int) {
      self.slot = slot
      self.size = size
    }
  }

  public var name: String
  public var frame: FrameSize
  public var skills: [String: Slot]
  public var attack: Slot
  public var crop: Crop

  public init(name: String, frame: FrameSize, skills: [String: Slot], attack: Slot, crop: Crop) {
    self.name = name
    self.frame = frame
    self.skills = skills
    self.attack = attack
    self.crop = crop
  }

  /// The built-in profile: Honor of Kings' landscape HUD at 1280x720.
  public static let `default` = LayoutProfile(
    name: "hok-landscape-1280x720",
    frame: FrameSize(width: 1280, height: 720),
    skills: [
      "skill1": Slot(cx: 1002, cy: 619, r: 42),
      "skill2": Slot(cx: 1032, cy: 499, r: 42),
      "skill3": Slot(cx: 1134, cy: 433, r: 46),
    ],
    attack: Slot(cx: 1144, cy: 586, r: 62),
    crop: Crop(slot: "skill2", size: 104))

  /// The crop square: side `size` centred on the crop slot's centre,
  /// x from `cx - size/2` to `cx + size/2 - 1`. Meaningful for a validated profile; for any other
  /// the numbers are clamped so that computing the rectangle never overflows.
  public var cropRect: PixelRect {
    let slot = skills[crop.slot] ?? Slot(cx: 0, cy: 0, r: 0)
    let limit = 1 << 40
    func clamp(_ v: Int) -> Int { min(max(v, -limit), limit) }
    let size = min(max(crop.size, 0), limit)
    return PixelRect(
      x: clamp(slot.cx) - size / 2, y: clamp(slot.cy) - size / 2, width: size, height: size)
  }

  /// The skill slots in name order (`skill1`, `skill2`, ...).
  public var orderedSkills: [(name: String, slot: Slot)] {
    skills.keys.sorted().compactMap { k in skills[k].map { (k, $0) } }
  }

  /// The skill slots named by a `--slots` list: numbers (1-based, in name order: `1` is
  /// `skill1`) or slot names, separated by commas, e.g. `1,2,3` or `skill2,skill3`; returned in
  /// name order. Throws ``SlotListError`` for an empty item, an unknown slot or a repeat.
  public func skillSlots(_ text: String) throws(SlotListError) -> [String] {
    let names = orderedSkills.map(\.name)
    var out: [String] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let item = part.trimmingCharacters(in: .whitespaces)
      let name: String? =
        if let k = Int(item) { (1...names.count).contains(k) ? names[k - 1] : nil } else {
          names.contains(item) ? item : nil
        }
      guard let name else {
        throw SlotListError(
          description: "--slots: \"\(item)\" is not a skill slot of layout \(self.name) (1 to "
            + "\(names.count) or \(names.joined(separator: ", ")))")
      }
      guard !out.contains(name) else {
        throw SlotListError(description: "--slots: \(name) given twice")
      }
      out.append(name)
    }
    return out.sorted()
  }

  /// The frame size every video frame is rescaled to before the HUD is read (CONTRACT.md).
  public static let canonicalFrame = FrameSize(width: 1280, height: 720)
  /// Largest frame side accepted by ``validate(source:)``.
  public static let maxFrameSide = 8192
  /// Most skill buttons a layout may list.
  public static let maxSkills = 16
  /// Longest layout name, in UTF-8 bytes.
  public static let maxNameBytes = 256

  /// Checks that every slot and the crop lie inside the frame; throws `LayoutError` naming `source`.
  ///
  /// Every number is range-checked before any arithmetic, so no value in a file (for example
  /// `"cx": 9223372036854775807`) can overflow.
  public func validate(source: String = "built-in layout") throws {
    func fail(_ why: String) -> LayoutError { .invalid(path: source, reason: why) }
    let side = 64...Self.maxFrameSide
    guard side.contains(frame.width), side.contains(frame.height) else {
      throw fail("frame \(frame.width)x\(frame.height) is not a plausible size (64 to 8192 a side)")
    }
    guard name.utf8.count <= Self.maxNameBytes else {
      throw fail("name is \(name.utf8.count) bytes long, at most \(Self.maxNameBytes)")
    }
    guard !skills.isEmpty else { throw fail("no skills") }
    guard skills.count <= Self.maxSkills else {
      throw fail("\(skills.count) skills, at most \(Self.maxSkills)")
    }
    func check(_ name: String, _ s: Slot) throws {
      // Ranges first: after these, every sum below is small.
      guard (1...Self.maxFrameSide).contains(s.r) else {
        throw fail("\(name) has radius \(s.r), must be 1 to \(Self.maxFrameSide)")
      }
      guard (0...frame.width).contains(s.cx), (0...frame.height).contains(s.cy),
        s.cx - s.r >= 0, s.cy - s.r >= 0, s.cx + s.r <= frame.width, s.cy + s.r <= frame.height
      else {
        throw fail(
          "\(name) (cx \(s.cx), cy \(s.cy), r \(s.r)) lies outside the \(frame.width)x\(frame.height) frame"
        )
      }
    }
    for (name, s) in orderedSkills { try check(name, s) }
    try check("attack", attack)
    guard skills[crop.slot] != nil else {
      throw fail(
        "crop slot \"\(crop.slot)\" is not one of the skills (\(skills.keys.sorted().joined(separator: ", ")))"
      )
    }
    guard crop.size >= 8 else { throw fail("crop size \(crop.size) is too small (at least 8)") }
    guard crop.size <= min(frame.width, frame.height) else {
      throw fail("crop size \(crop.size) is larger than the \(frame.width)x\(frame.height) frame")
    }
    let r = cropRect
    guard r.x >= 0, r.y >= 0, r.maxX <= frame.width, r.maxY <= frame.height else {
      throw fail("crop \(r) does not fit in the \(frame.width)x\(frame.height) frame")
    }
  }

  /// Why `extract`, `identify` and `train` cannot use this profile, or nil when they can: it must
  /// pass ``validate(source:)`` and describe the canonical 1280x720 frame that every video frame
  /// is rescaled to. `train --layout` stores only layouts that pass this, and a model whose
  /// stored layout fails it is refused when loaded.
  public func usabilityProblem(source: String = "built-in layout") -> LayoutError? {
    do { try validate(source: source) } catch let e as LayoutError { return e } catch {
      return .invalid(path: source, reason: "\(error)")
    }
    guard frame == Self.canonicalFrame else {
      return .invalid(
        path: source,
        reason: "frame is \(frame.width)x\(frame.height); frames are rescaled to "
          + "\(Self.canonicalFrame.width)x\(Self.canonicalFrame.height), so the layout must "
          + "describe that size")
    }
    return nil
  }

  /// Throws ``usabilityProblem(source:)`` when there is one.
  public func validateUsable(source: String = "built-in layout") throws {
    if let problem = usabilityProblem(source: source) { throw problem }
  }

  /// Loads a profile from a JSON file and checks that it can be used
  /// (``validateUsable(source:)``).
  public static func loadUsable(path: String) throws -> LayoutProfile {
    let p = try load(path: path)
    try p.validateUsable(source: path)
    return p
  }

  /// Loads and validates a profile from a JSON file.
  public static func load(path: String) throws -> LayoutProfile {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw LayoutError.unreadable(path: path, reason: "cannot read file")
    }
    guard data.count <= maxFileBytes else {
      throw LayoutError.invalid(path: path, reason: "\(data.count) bytes, at most \(maxFileBytes)")
    }
    return try decode(data, source: path)
  }

  /// Largest layout file read, in bytes.
  public static let maxFileBytes = 1 << 20

  /// Decodes and validates a profile from JSON bytes; errors name `source`.
  public static func decode(_ data: Data, source path: String) throws -> LayoutProfile {
    let profile: LayoutProfile
    do { profile = try JSONDecoder().decode(LayoutProfile.self, from: data) } catch let e
      as DecodingError
    {
      throw LayoutError.invalid(path: path, reason: LayoutError.describe(e))
    } catch {
      throw LayoutError.invalid(path: path, reason: "not valid JSON")
    }
    try profile.validate(source: path)
    return profile
  }

  /// The profile as pretty JSON (keys sorted), as `--layout` reads it.
  public func jsonData() -> Data {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    return (try? enc.encode(self)) ?? Data()
  }
}

public enum LayoutError: Error, CustomStringConvertible, Equatable {
  case unreadable(path: String, reason: String)
  case invalid(path: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let p, let r): "\(MessageText.escaped(p)): cannot load layout (\(r))"
    case .invalid(let p, let r): "\(MessageText.escaped(p)): invalid layout (\(r))"
    }
  }

  static func describe(_ e: DecodingError) -> String {
    func path(_ c: [CodingKey]) -> String { c.map { $0.stringValue }.joined(separator: ".") }
    switch e {
    case .keyNotFound(let k, let ctx):
      let p = path(ctx.codingPath + [k])
      return "missing field \"\(p)\""
    case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
      return "field \"\(path(ctx.codingPath))\" has the wrong type"
    case .dataCorrupted(let ctx):
      return ctx.codingPath.isEmpty
        ? "not valid JSON" : "field \"\(path(ctx.codingPath))\" is invalid"
    @unknown default:
      return "cannot decode"
    }
  }
}

/// Where the HUD's buttons sit in one video's frames: the layout's buttons anchored to the
/// frame's bottom-right corner (their offsets from that corner scaled with the frame height, so
/// one profile holds for every width), times the player's `scale`, shifted by (`dx`, `dy`).
///
/// A button at (cx, cy, r) of a layout for a `fw`×`fh` frame lands, in a `width`×`height` frame,
/// at `(width + dx + k (cx − fw), height + dy + k (cy − fh))` with radius `k r`, where
/// `k = scale × height / fh`. `dx`, `dy` are in pixels of the frame. The identity geometry on a
/// frame of the layout's own size puts every button where the layout says.
public struct HUDGeometry: Sendable, Hashable, Codable {
  public var frameWidth: Int
  public var frameHeight: Int
  public var scale: Double
  public var dx: Double
  public var dy: Double

  public init(frameWidth: Int, frameHeight: Int, scale: Double = 1, dx: Double = 0, dy: Double = 0)
  {
    self.frameWidth = frameWidth
    self.frameHeight = frameHeight
    self.scale = scale
    self.dx = dx
    self.dy = dy
  }
}

/// A button placed by a `HUDGeometry`, in frame pixels (not rounded).
public struct PlacedButton: Sendable, Equatable {
  public var name: String
  public var cx: Double
  public var cy: Double
  public var r: Double

  public init(name: String, cx: Double, cy: Double, r: Double) {
    self.name = name
    self.cx = cx
    self.cy = cy
    self.r = r
  }
}

extension LayoutProfile {
  /// The skill buttons (name order) then the attack button, placed by `g`.
  public func buttons(at g: HUDGeometry) -> [PlacedButton] {
    let k = g.scale * Double(g.frameHeight) / Double(frame.height)
    let ax = Double(g.frameWidth) + g.dx
    let ay = Double(g.frameHeight) + g.dy
    let all = orderedSkills.map { ($0.name, $0.slot) } + [("attack", attack)]
    return all.map { name, s in
      PlacedButton(
        name: name, cx: ax + k * Double(s.cx - frame.width),
        cy: ay + k * Double(s.cy - frame.height),
        r: k * Double(s.r))
    }
  }

  /// This profile for frames of `g`'s size with the buttons where `g` puts them (rounded to
  /// whole pixels) and the crop size scaled with them. For the identity geometry on the
  /// profile's own frame size it is the profile itself.
  public func placed(at g: HUDGeometry) -> LayoutProfile {
    let k = g.scale * Double(g.frameHeight) / Double(frame.height)
    func slot(_ b: PlacedButton) -> Slot {
      Slot(
        cx: Int(b.cx.rounded()), cy: Int(b.cy.rounded()), r: max(1, Int(b.r.rounded())))
    }
    let placed = buttons(at: g)
    var skills: [String: Slot] = [:]
    for b in placed.dropLast() { skills[b.name] = slot(b) }
    var out = self
    out.frame = FrameSize(width: g.frameWidth, height: g.frameHeight)
    out.skills = skills
    if let a = placed.last { out.attack = slot(a) }
    out.crop.size = max(8, Int((Double(crop.size) * k).rounded()))
    return out
  }
}

/// A `--slots` list that names no usable set of skill slots (one line).
public struct SlotListError: Error, CustomStringConvertible {
  public let description: String
}
