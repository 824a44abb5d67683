import Foundation
import HeroCore

/// The gameplay HUD in canonical 1280x720 coordinates: buttons at the layout positions,
/// minimap, joystick and counters; and the damage numbers and sparks that drift over it.
enum HUDPainter {
  static let ring = Color(hex: 0xE8E0C8)

  static func draw(
    _ c: Canvas, t: Double, timeline tl: ClipTimeline, hero: HeroSpec, layout: LayoutProfile
  ) {
    drawFixed(c, t: t, timeline: tl, centreDX: 0, rightDX: 0)
    drawButtons(c, t: t, timeline: tl, hero: hero, layout: layout, slots: [0, 1, 2])
  }

  /// Everything but the attack and skill buttons: the minimap and joystick (left), the score
  /// (moved by `centreDX`), the counters and small buttons of the right side (moved by `rightDX`).
  static func drawFixed(
    _ c: Canvas, t: Double, timeline tl: ClipTimeline, centreDX: Double, rightDX: Double
  ) {
    drawMinimap(c, t: t, timeline: tl)
    drawCounters(c, t: t, timeline: tl, centreDX: centreDX, rightDX: rightDX)
    drawJoystick(c, t: t, timeline: tl)
    if rightDX == 0 {
      drawSmallButtons(c, t: t, timeline: tl)
    } else {
      c.save()
      c.translate(rightDX, 0)
      drawSmallButtons(c, t: t, timeline: tl)
      c.restore()
    }
  }

  /// The attack button and the three skill buttons at the layout's positions; skill button k
  /// shows the hero's skill `slots[k]`.
  static func drawButtons(
    _ c: Canvas, t: Double, timeline tl: ClipTimeline, hero: HeroSpec, layout: LayoutProfile,
    slots: [Int]
  ) {
    // Attack button.
    let a = layout.attack
    let pressed = tl.attacks.contains { t >= $0 && t - $0 < 0.15 }
    let (ax, ay, ar) = (Double(a.cx), Double(a.cy), Double(a.r) * (pressed ? 0.94 : 1))
    c.newPath()
    c.circle(ax, ay, ar + 3)
    c.setAlpha(.black, 0.35)
    c.fill()
    c.newPath()
    c.circle(ax, ay, ar)
    c.radial(
      ax, ay - ar * 0.3, 0, ar, [(0, Color(hex: 0x6A6A70), 0.85), (1, Color(hex: 0x2A2A30), 0.85)])
    c.fill()
    c.newPath()
    c.circle(ax, ay, ar - 2)
    c.lineWidth(4)
    c.set(ring)
    c.stroke()
    // A crossed-swords attack glyph drawn with lines.
    c.roundCaps()
    c.lineWidth(7)
    for s in [-1.0, 1.0] {
      c.newPath()
      c.move(ax - s * ar * 0.42, ay + ar * 0.42)
      c.line(ax + s * ar * 0.42, ay - ar * 0.42)
      c.set(Color(hex: 0xF0E8D0))
      c.stroke()
      c.newPath()
      c.move(ax - s * ar * 0.5, ay + ar * 0.18)
      c.line(ax - s * ar * 0.18, ay + ar * 0.5)
      c.set(Color(hex: 0xC8A050))
      c.stroke()
    }
    if pressed {
      c.newPath()
      c.circle(ax, ay, ar + 10)
      c.radial(ax, ay, ar - 6, ar + 10, [(0, .white, 0.6), (1, .white, 0)])
      c.fill()
    }
    // Skills 1, 2, 3.
    for (k, entry) in layout.orderedSkills.prefix(3).enumerated() {
      let s = entry.slot
      IconPainter.drawSkillButton(
        c, hero.art.skills[slots[k]], cx: Double(s.cx), cy: Double(s.cy), r: Double(s.r),
        state: .init(cooldown: tl.cooldownLeft(slot: k, at: t), glow: tl.glow(slot: k, at: t)))
    }
  }

  private static func drawMinimap(_ c: Canvas, t: Double, timeline tl: ClipTimeline) {
    let (x, y, s) = (8.0, 8.0, 176.0)
    c.newPath()
    c.rect(x - 2, y - 2, s + 4, s + 4)
    c.setAlpha(Color(hex: 0xC8B890), 0.9)
    c.fill()
    c.rect(x, y, s, s)
    c.linear(x, y, x + s, y + s, [(0, Color(hex: 0x24402A), 1), (1, Color(hex: 0x1A3020), 1)])
    c.fill()
    c.lineWidth(7)
    c.setAlpha(Color(hex: 0x9A8A66), 0.9)
    c.newPath()
    c.move(x + 14, y + s - 14)
    c.line(x + 14, y + 14)
    c.line(x + s - 14, y + 14)
    c.move(x + 14, y + s - 14)
    c.line(x + s - 14, y + s - 14)
    c.line(x + s - 14, y + 14)
    c.move(x + 14, y + s - 14)
    c.line(x + s - 14, y + 14)
    c.stroke()
    c.newPath()
    c.move(x, y)
    c.line(x + s, y + s)
    c.lineWidth(9)
    c.setAlpha(Color(hex: 0x3A8AB0), 0.8)
    c.stroke()
    for (k, u) in tl.units.enumerated() {
      let px =
        x + 20
        + (Double(k) * 37 + u.x0 + t * u.vx * 0.1).truncatingRemainder(dividingBy: s - 40).magnitude
      let py = y + 20 + (Double(k) * 53 + u.y0).truncatingRemainder(dividingBy: s - 40).magnitude
      c.newPath()
      c.circle(px, py, 4)
      c.set(Color(hex: u.ally ? 0x4AA0FF : 0xFF4A3A))
      c.fill()
    }
    let p = tl.heroPosition(t)
    let hx = x + 20 + (p.x * 0.05 + 60).truncatingRemainder(dividingBy: s - 40).magnitude
    let hy = y + 20 + (p.y * 0.05 + 90).truncatingRemainder(dividingBy: s - 40).magnitude
    c.newPath()
    c.circle(hx, hy, 7)
    c.set(Color(hex: 0x6AF06A))
    c.fillPreserve()
    c.lineWidth(2)
    c.set(.white)
    c.stroke()
  }

  private static func drawCounters(
    _ c: Canvas, t: Double, timeline tl: ClipTimeline, centreDX: Double, rightDX: Double
  ) {
    let moved = centreDX != 0 || rightDX != 0
    if moved {
      c.save()
      c.translate(centreDX, 0)
    }
    // Team kills and the match clock, top centre.
    c.newPath()
    c.roundedRect(530, 0, 220, 44, 8)
    c.setAlpha(Color(hex: 0x101820), 0.7)
    c.fill()
    let blue = tl.kills.0 + Int(t / 7)
    let red = tl.kills.1 + Int(t / 9)
    c.text("\(blue)", x: 590, y: 30, size: 24, color: Color(hex: 0x5AB0FF), align: .center)
    c.text("\(red)", x: 690, y: 30, size: 24, color: Color(hex: 0xFF5A4A), align: .center)
    c.text("VS", x: 640, y: 28, size: 14, color: Color(hex: 0xE0D8C0), align: .center)
    let clock = Int(tl.clockStart + t)
    c.text(
      String(format: "%02d:%02d", clock / 60, clock % 60), x: 640, y: 62, size: 15,
      color: .white, align: .center, outline: .black, outlineWidth: 2)
    if moved {
      c.restore()
      c.save()
      c.translate(rightDX, 0)
    }
    // KDA, gold and ping, top right.
    c.newPath()
    c.roundedRect(980, 4, 292, 30, 6)
    c.setAlpha(Color(hex: 0x101820), 0.6)
    c.fill()
    let k = Int(t / 11) + tl.kills.0 % 5
    c.text("\(k)/\(tl.kills.1 % 4)/\(tl.kills.0 % 7)", x: 992, y: 25, size: 16, color: .white)
    c.newPath()
    c.circle(1080, 19, 8)
    c.set(Color(hex: 0xF0C040))
    c.fill()
    c.text("\(tl.gold + Int(t * 23))", x: 1094, y: 25, size: 16, color: Color(hex: 0xF8D870))
    c.text("\(38 + Int(t * 7) % 30)ms", x: 1200, y: 25, size: 14, color: Color(hex: 0x7AE07A))
    if moved { c.restore() }
    // The shop button with gold, left.
    c.newPath()
    c.circle(52, 290, 30)
    c.radial(52, 280, 0, 30, [(0, Color(hex: 0x6A5020), 1), (1, Color(hex: 0x2A2010), 1)])
    c.fill()
    c.newPath()
    c.circle(52, 290, 29)
    c.lineWidth(3)
    c.set(Color(hex: 0xD8B060))
    c.stroke()
    c.newPath()
    c.circle(52, 284, 11)
    c.set(Color(hex: 0xF0C040))
    c.fill()
    c.text(
      "\(tl.gold % 900 + Int(t * 23) % 500)", x: 52, y: 312, size: 12, color: .white,
      align: .center, outline: .black, outlineWidth: 2)
  }

  private static func drawJoystick(_ c: Canvas, t: Double, timeline tl: ClipTimeline) {
    let (cx, cy) = (190.0, 560.0)
    c.newPath()
    c.circle(cx, cy, 92)
    c.setAlpha(.white, 0.12)
    c.fillPreserve()
    c.lineWidth(3)
    c.setAlpha(.white, 0.35)
    c.stroke()
    let p0 = tl.heroPosition(t)
    let p1 = tl.heroPosition(t + 0.1)
    let (dx, dy) = (p1.x - p0.x, p1.y - p0.y)
    let len = max(hypot(dx, dy), 0.001)
    let reach = min(len * 4, 50)
    c.newPath()
    c.circle(cx + dx / len * reach, cy + dy / len * reach, 38)
    c.radial(
      cx + dx / len * reach, cy + dy / len * reach, 0, 38, [(0, .white, 0.55), (1, .white, 0.25)])
    c.fill()
  }

  private static func drawSmallButtons(_ c: Canvas, t: Double, timeline tl: ClipTimeline) {
    // Summoner spell, recall, heal (drawn plain: they are the same for every hero).
    let buttons: [(Double, Double, Double, Color, String)] = [
      (900, 664, 30, Color(hex: 0x5A3AA0), "⚡"), (780, 682, 24, Color(hex: 0x2A6A9A), "⌂"),
      (840, 682, 24, Color(hex: 0x2A8A4A), "✚"),
    ]
    for (x, y, r, col, glyph) in buttons {
      c.newPath()
      c.circle(x, y, r)
      c.radial(x, y - r * 0.3, 0, r, [(0, col.lighter(0.3), 0.9), (1, col.darker(0.4), 0.9)])
      c.fill()
      c.newPath()
      c.circle(x, y, r - 1)
      c.lineWidth(2.5)
      c.set(ring)
      c.stroke()
      c.text(glyph, x: x, y: y + r * 0.35, size: r, color: .white, align: .center)
    }
    // Quick-chat bubbles at the right edge.
    for (k, y) in [250.0, 300.0].enumerated() {
      c.newPath()
      c.roundedRect(1236, y, 38, 34, 8)
      c.setAlpha(Color(hex: 0x101820), 0.55)
      c.fill()
      c.text(
        k == 0 ? "✉" : "⚑", x: 1255, y: y + 24, size: 18, color: Color(hex: 0xE0E0E0),
        align: .center)
    }
  }

  /// Damage numbers and sparks alive at time `t`, over everything (the HUD included).
  static func drawEffects(_ c: Canvas, t: Double, timeline tl: ClipTimeline) {
    for s in tl.sparks where t >= s.t0 && t < s.t0 + s.life {
      let age = t - s.t0
      let k = age / s.life
      let (x, y) = (s.x + s.vx * age, s.y + s.vy * age)
      c.newPath()
      c.circle(x, y, s.size * (0.6 + 0.6 * k))
      c.radial(
        x, y, 0, s.size * (0.6 + 0.6 * k),
        [(0, s.color.lighter(0.6), 0.85 * (1 - k)), (1, s.color, 0)])
      c.fill()
      c.lineWidth(2.5)
      c.roundCaps()
      for i in 0..<s.value {
        let a = Double(i) * 2 * Double.pi / Double(s.value) + s.t0
        let r0 = s.size * 0.4 + 40 * k
        c.newPath()
        c.move(x + r0 * cos(a), y + r0 * sin(a))
        c.line(x + (r0 + 12) * cos(a), y + (r0 + 12) * sin(a))
        c.setAlpha(s.color.lighter(0.5), 1 - k)
        c.stroke()
      }
    }
    for d in tl.damage where t >= d.t0 && t < d.t0 + d.life {
      let age = t - d.t0
      let k = age / d.life
      let pop = age < 0.12 ? 1.4 - age / 0.12 * 0.4 : 1
      c.text(
        "\(d.value)", x: d.x + d.vx * age, y: d.y + d.vy * age, size: d.size * pop, color: d.color,
        alpha: k < 0.7 ? 1 : (1 - k) / 0.3, align: .center, outline: Color(hex: 0x200808),
        outlineWidth: 3)
    }
  }
}
