import Foundation

/// The shape at the centre of a skill icon.
public enum Motif: String, Sendable, CaseIterable {
  case sword, flame, star, crescent, arrows, shield, vortex, bolt, petals, wave, claws, orb
  case hammer, feather, heart, snowflake, fan, cannon
}

/// How one skill icon is drawn: background gradient, motif, colours and a small glyph.
public struct IconDesign: Sendable, Equatable {
  public var motif: Motif
  /// Background gradient, centre to rim.
  public var inner: Color
  public var outer: Color
  /// Motif fill and its highlight.
  public var fill: Color
  public var accent: Color
  /// Rotation of the motif in radians.
  public var angle: Double
  /// Repetitions for motifs that repeat (star points, petals, arrows).
  public var count: Int
  /// A DejaVu glyph drawn small in the lower part of the icon ("" for none).
  public var glyph: String

  public init(
    _ motif: Motif, inner: UInt32, outer: UInt32, fill: UInt32, accent: UInt32,
    angle: Double = 0, count: Int = 5, glyph: String = ""
  ) {
    self.motif = motif
    self.inner = Color(hex: inner)
    self.outer = Color(hex: outer)
    self.fill = Color(hex: fill)
    self.accent = Color(hex: accent)
    self.angle = angle
    self.count = count
    self.glyph = glyph
  }
}

/// The procedural art of one hero: three skill icons and a portrait.
public struct HeroArt: Sendable, Equatable {
  /// Skill 1, 2 and 3.
  public var skills: [IconDesign]
  /// Portrait: background, hair, garment and emblem colours, and an emblem glyph.
  public var portraitBackground: Color
  public var hair: Color
  public var garment: Color
  public var emblem: String
  /// The colour of the hero's body and effects on the battlefield.
  public var theme: Color

  public init(
    skills: [IconDesign], background: UInt32, hair: UInt32, garment: UInt32, emblem: String,
    theme: UInt32
  ) {
    precondition(skills.count == 3)
    self.skills = skills
    self.portraitBackground = Color(hex: background)
    self.hair = Color(hex: hair)
    self.garment = Color(hex: garment)
    self.emblem = emblem
    self.theme = Color(hex: theme)
  }
}

/// One hero: its name (the label used everywhere), a Latin name for on-screen text (DejaVu has no
/// CJK glyphs), whether it belongs to the training heroes, and its art.
public struct HeroSpec: Sendable, Equatable {
  public var name: String
  public var latinName: String
  public var inTraining: Bool
  public var art: HeroArt
}

/// The heroes the generator knows: 8 used for training and 2 that never are.
///
/// Some heroes share palettes on purpose (李白/韩信/诸葛亮 blue, 貂蝉/妲己/王昭君 pink or pale,
/// 后羿/鲁班七号 orange, 亚瑟/孙悟空 gold-red), so telling them apart needs the motif, not just the hue.
public enum Heroes {
  public static let all: [HeroSpec] = [
    HeroSpec(
      name: "李白", latinName: "LI BAI", inTraining: true,
      art: HeroArt(
        skills: [
          IconDesign(
            .sword, inner: 0x3A7BD5, outer: 0x0B1F4A, fill: 0xE8F4FF, accent: 0x7FD3FF,
            angle: -0.7, glyph: ""),
          IconDesign(
            .feather, inner: 0x2F6FC0, outer: 0x0A1838, fill: 0xCFE8FF, accent: 0x5AC8FA,
            angle: 0.5, count: 3, glyph: "≈"),
          IconDesign(
            .vortex, inner: 0x5B8DEF, outer: 0x111A3F, fill: 0xFFFFFF, accent: 0x9AD0FF,
            count: 4, glyph: ""),
        ], background: 0x2C4F86, hair: 0x1A1A2A, garment: 0xDDE8F5, emblem: "✦", theme: 0x6FB4FF)),
    HeroSpec(
      name: "貂蝉", latinName: "DIAO CHAN", inTraining: true,
      art: HeroArt(
        skills: [
          IconDesign(
            .petals, inner: 0xF07DB5, outer: 0x4A0E30, fill: 0xFFE0F0, accent: 0xFF9BD0,
            count: 5),
          IconDesign(
            .fan, inner: 0xE0609E, outer: 0x3B0A28, fill: 0xFFD6EC, accent: 0xFFFFFF,
            angle: 0.2, count: 7),
          IconDesign(
            .heart, inner: 0xD94F8C, outer: 0x2E0720, fill: 0xFFC2DE, accent: 0xFF6FAE,
            glyph: "♪"),
        ], background: 0x8A2D5E, hair: 0x2A0E1E, garment: 0xF2A6C8, emblem: "❀", theme: 0xFF7FC0)),
    HeroSpec(
      name: "韩信", latinName: "HAN XIN", inTraining: true,
      art: HeroArt(
        skills: [
          IconDesign(
            .arrows, inner: 0x2C6E9E, outer: 0x0C1E30, fill: 0xE0ECF5, accent: 0x66CCEE,
            angle: -0.4, count: 2),
          IconDesign(
            .sword, inner: 0x3477B8, outer: 0x0A1A33, fill: 0xF0F6FF, accent: 0xFFD36B,
            angle: 0.7, glyph: "↑"),
          IconDesign(
            .bolt, inner: 0x2A5FA0, outer: 0x081428, fill: 0xFFE98A, accent: 0xFFFFFF,
            angle: 0.15),
        ], background: 0x23496E, hair: 0x0E0E14, garment: 0x6C8FB0, emblem: "⚑", theme: 0x4FA3E0)),
    HeroSpec(
      name: "妲己", latinName: "DA JI", inTraining: true,
      art: HeroArt(
        skills: [
          IconDesign(.heart, inner: 0xEA5A9A, outer: 0x3E0826, fill: 0xFFE3F0, accent: 0xFF9ACB),
          IconDesign(
            .orb, inner: 0xD64F95, outer: 0x350722, fill: 0xFFB3DA, accent: 0xFFFFFF,
            count: 3, glyph: "♥"),
          IconDesign(
            .flame, inner: 0xC8407F, outer: 0x2A0519, fill: 0xFF8CC6, accent: 0xFFE0F0,
            count: 3),
        ], background: 0x9C2F63, hair: 0xF4E0D0, garment: 0xE55A96, emblem: "♥", theme: 0xFF5FA8)),
    HeroSpec(
      name: "后羿", latinName: "HOU YI", inTraining: true,
      art: HeroArt(
        skills: [
          IconDesign(
            .arrows, inner: 0xF29B38, outer: 0x4A1E05, fill: 0xFFF1C9, accent: 0xFFD166,
            angle: 0.3, count: 3),
          IconDesign(
            .star, inner: 0xF6A623, outer: 0x5A2A04, fill: 0xFFF5D6, accent: 0xFF7A1A,
            count: 8, glyph: ""),
          IconDesign(
            .crescent, inner: 0xE2832B, outer: 0x3C1604, fill: 0xFFE7A8, accent: 0xFFFFFF,
            angle: -0.6),
        ], background: 0xB4621C, hair: 0x3A220E, garment: 0xE8B050, emblem: "☀", theme: 0xFFA640)),
    HeroSpec(
      name: "亚瑟", latinName: "ARTHUR", inTraining: true,
      art: HeroArt(
        skills: [
          IconDesign(.shield, inner: 0xC9A03A, outer: 0x3E2A06, fill: 0xFFF0B8, accent: 0xB02A2A),
          IconDesign(
            .hammer, inner: 0xD0A640, outer: 0x432C05, fill: 0xF5F0E0, accent: 0xFFE27A,
            angle: -0.5, glyph: "✚"),
          IconDesign(
            .sword, inner: 0xB88A2E, outer: 0x3A2004, fill: 0xFFFBEA, accent: 0xFFD700,
            angle: 0, glyph: ""),
        ], background: 0x8C6A22, hair: 0xC8A060, garment: 0xB8B8C8, emblem: "✠", theme: 0xE8C050)),
    HeroSpec(
      name: "鲁班七号", latinName: "LUBAN NO.7", inTraining: true,
      art: HeroArt(
        skills: [
          IconDesign(
            .cannon, inner: 0xF0A040, outer: 0x402008, fill: 0xE0E0E8, accent: 0xFF5A2A,
            angle: 0.2),
          IconDesign(
            .orb, inner: 0xE88F2A, outer: 0x4A2206, fill: 0xFFE08A, accent: 0x7AD0FF,
            count: 2, glyph: "⚙"),
          IconDesign(
            .star, inner: 0xE07A20, outer: 0x3A1404, fill: 0xFFD27A, accent: 0xFFFFFF,
            count: 6),
        ], background: 0xC07830, hair: 0x5A3A1E, garment: 0x4A7AB0, emblem: "⚙", theme: 0xFF9A30)),
    HeroSpec(
      name: "孙悟空", latinName: "SUN WUKONG", inTraining: true,
      art: HeroArt(
        skills: [
          IconDesign(
            .claws, inner: 0xD8502A, outer: 0x400C04, fill: 0xFFE0B0, accent: 0xFFC04A,
            angle: 0.3, count: 3),
          IconDesign(
            .hammer, inner: 0xC9402A, outer: 0x3A0A04, fill: 0xFFD24A, accent: 0xFF8A2A,
            angle: 0.8, glyph: ""),
          IconDesign(
            .vortex, inner: 0xE06A2A, outer: 0x3E1004, fill: 0xFFE6A0, accent: 0xFFFFFF,
            count: 3, glyph: "☁"),
        ], background: 0xA8381E, hair: 0xD8A040, garment: 0xC82A1E, emblem: "☯", theme: 0xFF6A30)),
    HeroSpec(
      name: "诸葛亮", latinName: "ZHUGE LIANG", inTraining: false,
      art: HeroArt(
        skills: [
          IconDesign(
            .orb, inner: 0x6A5ADD, outer: 0x160E40, fill: 0xE6E0FF, accent: 0x9FE0FF,
            count: 4),
          IconDesign(
            .fan, inner: 0x4A68D0, outer: 0x0E1438, fill: 0xF2F4FF, accent: 0xB8A8FF,
            angle: -0.3, count: 5, glyph: "☯"),
          IconDesign(
            .star, inner: 0x5A50C8, outer: 0x120C36, fill: 0xFFFFFF, accent: 0x8AB8FF,
            count: 5),
        ], background: 0x3A3A8A, hair: 0x202030, garment: 0xE0E0F0, emblem: "☯", theme: 0x8A7AFF)),
    HeroSpec(
      name: "王昭君", latinName: "WANG ZHAOJUN", inTraining: false,
      art: HeroArt(
        skills: [
          IconDesign(
            .snowflake, inner: 0x8AC8F0, outer: 0x10304A, fill: 0xFFFFFF, accent: 0xCFF0FF,
            count: 6),
          IconDesign(
            .crescent, inner: 0xD47AB0, outer: 0x2E1230, fill: 0xE8F6FF, accent: 0x9ADCFF,
            angle: 0.5, glyph: "❄"),
          IconDesign(
            .wave, inner: 0x6AB0E0, outer: 0x0C2438, fill: 0xE8F8FF, accent: 0xFFFFFF,
            count: 3),
        ], background: 0x5A8AB0, hair: 0xF0F0F8, garment: 0x9AC0E0, emblem: "❄", theme: 0x9AD8FF)),
  ]

  /// The hero with `name` (its Chinese name or its Latin name, case-insensitive).
  public static func named(_ name: String) -> HeroSpec? {
    all.first { $0.name == name || $0.latinName.lowercased() == name.lowercased() }
  }

  /// The 8 heroes of the training set, in table order.
  public static var training: [HeroSpec] { all.filter(\.inTraining) }
  /// The heroes never used for training.
  public static var unknown: [HeroSpec] { all.filter { !$0.inTraining } }
}

extension Color {
  /// The colour with its hue turned by `degrees` (the luminance-preserving rotation about the
  /// grey axis), clamped to 0...1.
  public func hueRotated(_ degrees: Double) -> Color {
    let a = degrees * Double.pi / 180
    let (c, s) = (cos(a), sin(a))
    func clamp(_ v: Double) -> Double { min(1, max(0, v)) }
    let m: [[Double]] = [
      [
        0.213 + c * 0.787 - s * 0.213, 0.715 - c * 0.715 - s * 0.715, 0.072 - c * 0.072 + s * 0.928,
      ],
      [
        0.213 - c * 0.213 + s * 0.143, 0.715 + c * 0.285 + s * 0.140, 0.072 - c * 0.072 - s * 0.283,
      ],
      [
        0.213 - c * 0.213 - s * 0.787, 0.715 - c * 0.715 + s * 0.715, 0.072 + c * 0.928 + s * 0.072,
      ],
    ]
    return Color(
      clamp(m[0][0] * r + m[0][1] * g + m[0][2] * b),
      clamp(m[1][0] * r + m[1][1] * g + m[1][2] * b),
      clamp(m[2][0] * r + m[2][1] * g + m[2][2] * b))
  }
}

extension HeroSpec {
  /// The hero wearing skin `k` (0: the default look): a skin replaces the three skill icons
  /// with another set, as many of the game's skins do: each icon's colours turned in hue
  /// (137° a skin), its motif turned and, for repeating motifs, one more repetition on odd
  /// skins. The hero's name, portrait and battlefield look stay.
  public func skinned(_ k: Int) -> HeroSpec {
    guard k > 0 else { return self }
    var out = self
    out.art.skills = art.skills.map { d in
      var e = d
      let turn = 137.0 * Double(k)
      e.inner = d.inner.hueRotated(turn)
      e.outer = d.outer.hueRotated(turn)
      e.fill = d.fill.hueRotated(turn)
      e.accent = d.accent.hueRotated(turn)
      e.angle = d.angle + 0.8 * Double(k)
      e.count = d.count + k % 2
      return e
    }
    return out
  }
}
