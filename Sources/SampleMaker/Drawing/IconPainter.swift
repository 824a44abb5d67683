import Foundation

/// Skill icons, skill buttons and portraits, drawn procedurally from a hero's `HeroArt`.
enum IconPainter {
  /// Draws the icon `d` filling the circle of radius `r` at (cx, cy), clipped to it.
  static func drawIcon(_ c: Canvas, _ d: IconDesign, cx: Double, cy: Double, r: Double) {
    c.save()
    c.newPath()
    c.circle(cx, cy, r)
    c.clip()
    c.radial(
      cx - r * 0.2, cy - r * 0.25, 0, r * 1.25,
      [(0, d.inner.lighter(0.15), 1), (0.55, d.inner, 1), (1, d.outer, 1)])
    c.rect(cx - r, cy - r, 2 * r, 2 * r)
    c.fill()
    // A faint ring pattern in the background, so two icons with one motif still differ.
    c.lineWidth(r * 0.05)
    for k in 1...3 {
      c.newPath()
      c.circle(cx, cy, r * (0.3 + 0.25 * Double(k)))
      c.setAlpha(d.accent, 0.10)
      c.stroke()
    }
    c.translate(cx, cy)
    c.scale(r)
    c.rotate(d.angle)
    drawMotif(c, d)
    c.rotate(-d.angle)
    if !d.glyph.isEmpty {
      c.text(
        d.glyph, x: 0.42, y: 0.78, size: 0.46, color: d.accent, align: .center,
        outline: d.outer, outlineWidth: 0.08)
    }
    c.restore()
  }

  private static func drawMotif(_ c: Canvas, _ d: IconDesign) {
    let dark = d.outer.darker(0.4)
    func finish(_ fill: Color, outline: Double = 0.06) {
      c.set(fill)
      c.fillPreserve()
      c.lineWidth(outline)
      c.setAlpha(dark, 0.8)
      c.stroke()
    }
    c.roundCaps()
    c.newPath()
    switch d.motif {
    case .sword:
      c.move(0, -0.82)
      c.line(0.12, -0.62)
      c.line(0.1, 0.32)
      c.line(-0.1, 0.32)
      c.line(-0.12, -0.62)
      c.close()
      c.linear(-0.12, 0, 0.12, 0, [(0, d.fill, 1), (0.5, .white, 1), (1, d.fill.darker(0.2), 1)])
      c.fillPreserve()
      c.lineWidth(0.05)
      c.setAlpha(dark, 0.8)
      c.stroke()
      c.roundedRect(-0.36, 0.3, 0.72, 0.11, 0.04)
      finish(d.accent)
      c.rect(-0.05, 0.41, 0.1, 0.3)
      finish(d.fill.darker(0.35), outline: 0.03)
      c.circle(0, 0.76, 0.08)
      finish(d.accent)
    case .flame:
      for k in 0..<max(d.count, 1) {
        let s = 1 - 0.25 * Double(k)
        c.newPath()
        c.move(0, -0.85 * s)
        c.curve(0.5 * s, -0.3 * s, 0.6 * s, 0.35 * s, 0, 0.7 * s)
        c.curve(-0.6 * s, 0.35 * s, -0.35 * s, -0.2 * s, 0, -0.85 * s)
        finish(k % 2 == 0 ? d.fill : d.accent, outline: 0.03)
      }
    case .star:
      c.star(0, 0, points: d.count, outer: 0.78, inner: 0.3, angle: 0)
      c.radial(0, 0, 0, 0.8, [(0, .white, 1), (0.4, d.fill, 1), (1, d.accent, 1)])
      c.fillPreserve()
      c.lineWidth(0.04)
      c.setAlpha(dark, 0.7)
      c.stroke()
      c.circle(0, 0, 0.16)
      finish(d.accent)
    case .crescent:
      c.save()
      c.circle(0, 0, 0.72)
      c.clip()
      c.rect(-1.2, -1.2, 2.4, 2.4)
      c.arcNegative(0.3, -0.22, 0.6, 0, -2 * Double.pi)
      c.radial(-0.3, 0.2, 0, 0.9, [(0, .white, 1), (0.6, d.fill, 1), (1, d.accent, 1)])
      c.fill()
      c.restore()
      c.star(0.32, -0.2, points: 4, outer: 0.2, inner: 0.06, angle: 0)
      finish(d.accent, outline: 0.02)
    case .arrows:
      let n = max(d.count, 1)
      for k in 0..<n {
        let y = (Double(k) - Double(n - 1) / 2) * 0.34
        c.newPath()
        c.move(-0.7, y)
        c.line(0.45, y)
        c.lineWidth(0.08)
        c.set(d.fill)
        c.stroke()
        c.move(0.8, y)
        c.line(0.4, y - 0.15)
        c.line(0.48, y)
        c.line(0.4, y + 0.15)
        c.close()
        finish(d.accent, outline: 0.03)
        c.move(-0.7, y)
        c.line(-0.85, y - 0.13)
        c.line(-0.55, y - 0.13)
        c.line(-0.45, y)
        c.line(-0.55, y + 0.13)
        c.line(-0.85, y + 0.13)
        c.close()
        finish(d.fill.darker(0.15), outline: 0.02)
      }
    case .shield:
      c.shield(halfWidth: 0.55, top: -0.62, shoulder: 0.45, waist: 0.66, tip: 0.82)
      c.linear(
        -0.5, -0.6, 0.5, 0.8, [(0, .white, 1), (0.5, d.fill, 1), (1, d.fill.darker(0.3), 1)])
      c.fillPreserve()
      c.lineWidth(0.08)
      c.set(d.accent.darker(0.2))
      c.stroke()
      c.rect(-0.08, -0.45, 0.16, 1.0)
      c.rect(-0.38, -0.2, 0.76, 0.16)
      finish(d.accent, outline: 0.02)
    case .vortex:
      let n = max(d.count, 1)
      c.lineWidth(0.11)
      for k in 0..<n {
        let a0 = Double(k) * 2 * Double.pi / Double(n)
        c.newPath()
        for i in 0...24 {
          let t = Double(i) / 24
          let a = a0 + t * 3.2
          let rr = 0.1 + 0.68 * t
          if i == 0 { c.move(rr * cos(a), rr * sin(a)) } else { c.line(rr * cos(a), rr * sin(a)) }
        }
        c.setAlpha(k % 2 == 0 ? d.fill : d.accent, 0.95)
        c.stroke()
      }
      c.circle(0, 0, 0.14)
      finish(.white, outline: 0.02)
    case .bolt:
      c.move(0.18, -0.85)
      c.line(-0.42, 0.08)
      c.line(-0.02, 0.08)
      c.line(-0.2, 0.85)
      c.line(0.45, -0.15)
      c.line(0.05, -0.15)
      c.line(0.3, -0.85)
      c.close()
      c.linear(0, -0.85, 0, 0.85, [(0, .white, 1), (0.5, d.fill, 1), (1, d.accent, 1)])
      c.fillPreserve()
      c.lineWidth(0.05)
      c.setAlpha(dark, 0.8)
      c.stroke()
    case .petals:
      let n = max(d.count, 3)
      for k in 0..<n {
        c.save()
        c.rotate(Double(k) * 2 * Double.pi / Double(n))
        c.newPath()
        c.ellipse(0, -0.42, 0.2, 0.38)
        c.radial(0, -0.3, 0, 0.5, [(0, .white, 1), (1, d.fill, 1)])
        c.fillPreserve()
        c.lineWidth(0.03)
        c.setAlpha(dark, 0.5)
        c.stroke()
        c.restore()
      }
      c.newPath()
      c.circle(0, 0, 0.18)
      finish(d.accent)
    case .wave:
      let n = max(d.count, 1)
      c.lineWidth(0.13)
      for k in 0..<n {
        let y0 = (Double(k) - Double(n - 1) / 2) * 0.36
        c.newPath()
        for i in 0...20 {
          let x = -0.85 + 1.7 * Double(i) / 20
          let y = y0 + 0.12 * sin(x * 5 + Double(k))
          if i == 0 { c.move(x, y) } else { c.line(x, y) }
        }
        c.set(k % 2 == 0 ? d.fill : d.accent)
        c.stroke()
      }
    case .claws:
      let n = max(d.count, 1)
      for k in 0..<n {
        let x = (Double(k) - Double(n - 1) / 2) * 0.32
        c.newPath()
        c.move(x - 0.25, -0.75)
        c.curve(x + 0.15, -0.3, x + 0.15, 0.3, x - 0.1, 0.8)
        c.curve(x + 0.3, 0.3, x + 0.3, -0.3, x - 0.25, -0.75)
        c.close()
        finish(d.fill, outline: 0.03)
      }
      c.newPath()
      c.move(-0.7, 0.1)
      c.line(0.7, -0.1)
      c.lineWidth(0.05)
      c.setAlpha(d.accent, 0.9)
      c.stroke()
    case .orb:
      c.circle(0, 0, 0.5)
      c.radial(
        -0.15, -0.18, 0, 0.55, [(0, .white, 1), (0.45, d.fill, 1), (1, d.fill.darker(0.45), 1)])
      c.fill()
      let n = max(d.count, 1)
      c.lineWidth(0.05)
      for k in 0..<n {
        c.save()
        c.rotate(Double(k) * Double.pi / Double(n))
        c.newPath()
        c.ellipse(0, 0, 0.78, 0.22)
        c.setAlpha(d.accent, 0.9)
        c.stroke()
        c.restore()
        let a = Double(k) * 2 * Double.pi / Double(n) + 0.6
        c.newPath()
        c.circle(0.7 * cos(a), 0.7 * sin(a), 0.09)
        finish(d.accent, outline: 0.02)
      }
    case .hammer:
      c.roundedRect(-0.08, -0.35, 0.16, 1.15, 0.05)
      finish(d.fill.darker(0.45), outline: 0.03)
      c.roundedRect(-0.5, -0.72, 1.0, 0.42, 0.08)
      c.linear(0, -0.72, 0, -0.3, [(0, .white, 1), (0.4, d.fill, 1), (1, d.fill.darker(0.3), 1)])
      c.fillPreserve()
      c.lineWidth(0.05)
      c.setAlpha(dark, 0.8)
      c.stroke()
      c.rect(-0.5, -0.56, 1.0, 0.1)
      c.setAlpha(d.accent, 0.9)
      c.fill()
    case .feather:
      c.move(0.05, -0.85)
      c.curve(0.55, -0.4, 0.4, 0.35, -0.05, 0.7)
      c.curve(-0.4, 0.3, -0.35, -0.45, 0.05, -0.85)
      c.close()
      c.linear(-0.4, 0, 0.5, 0, [(0, d.fill, 1), (1, d.accent, 1)])
      c.fill()
      c.lineWidth(0.035)
      c.setAlpha(dark, 0.6)
      for i in 0..<max(d.count + 3, 4) {
        let y = -0.55 + Double(i) * 0.2
        c.newPath()
        c.move(0.0, y)
        c.line(0.3, y - 0.15)
        c.move(0.0, y)
        c.line(-0.25, y - 0.12)
        c.stroke()
      }
      c.newPath()
      c.move(0.05, -0.85)
      c.line(-0.12, 0.9)
      c.lineWidth(0.05)
      c.set(d.outer)
      c.stroke()
    case .heart:
      c.move(0, 0.72)
      c.curve(-0.9, 0.05, -0.55, -0.75, 0, -0.35)
      c.curve(0.55, -0.75, 0.9, 0.05, 0, 0.72)
      c.close()
      c.radial(-0.2, -0.3, 0, 0.9, [(0, .white, 1), (0.5, d.fill, 1), (1, d.accent, 1)])
      c.fillPreserve()
      c.lineWidth(0.05)
      c.setAlpha(dark, 0.7)
      c.stroke()
    case .snowflake:
      let n = max(d.count, 3)
      c.lineWidth(0.09)
      c.set(d.fill)
      for k in 0..<n {
        let a = Double(k) * 2 * Double.pi / Double(n)
        let (ca, sa) = (cos(a), sin(a))
        c.newPath()
        c.move(0, 0)
        c.line(0.78 * ca, 0.78 * sa)
        for f in [0.4, 0.6] {
          let (bx, by) = (f * ca, f * sa)
          for s in [-0.6, 0.6] {
            c.move(bx, by)
            c.line(bx + 0.2 * cos(a + s), by + 0.2 * sin(a + s))
          }
        }
        c.stroke()
      }
      c.newPath()
      c.star(0, 0, points: n, outer: 0.2, inner: 0.1, angle: 0)
      finish(d.accent, outline: 0.02)
    case .fan:
      let n = max(d.count, 3)
      let a0 = -Double.pi / 2 - 1.1
      let a1 = -Double.pi / 2 + 1.1
      c.move(0, 0.55)
      c.arc(0, 0.55, 1.25, a0, a1)
      c.close()
      c.radial(0, 0.55, 0.3, 1.25, [(0, d.fill, 1), (1, d.accent, 1)])
      c.fillPreserve()
      c.lineWidth(0.04)
      c.setAlpha(dark, 0.7)
      c.stroke()
      c.lineWidth(0.03)
      for k in 0...n {
        let a = a0 + (a1 - a0) * Double(k) / Double(n)
        c.newPath()
        c.move(0, 0.55)
        c.line(1.25 * cos(a), 0.55 + 1.25 * sin(a))
        c.setAlpha(dark, 0.6)
        c.stroke()
      }
      c.newPath()
      c.circle(0, 0.55, 0.1)
      finish(d.outer.lighter(0.3))
    case .cannon:
      c.roundedRect(-0.7, -0.2, 1.2, 0.36, 0.1)
      c.linear(0, -0.2, 0, 0.16, [(0, .white, 1), (0.5, d.fill, 1), (1, d.fill.darker(0.4), 1)])
      c.fillPreserve()
      c.lineWidth(0.05)
      c.setAlpha(dark, 0.8)
      c.stroke()
      c.circle(-0.25, 0.35, 0.28)
      finish(d.fill.darker(0.3))
      c.star(0.72, -0.02, points: 6, outer: 0.28, inner: 0.12, angle: 0.3)
      finish(d.accent, outline: 0.02)
    }
  }

  /// What a skill button shows besides its icon.
  struct ButtonState {
    /// Seconds left before the skill is ready, or nil when ready.
    var cooldown: Double?
    /// 0...1: the glow right after the skill was used.
    var glow: Double = 0
  }

  /// A skill button: the icon masked to a circle, a ring, cooldown shading and number, glow.
  static func drawSkillButton(
    _ c: Canvas, _ d: IconDesign, cx: Double, cy: Double, r: Double, state: ButtonState
  ) {
    c.newPath()
    c.circle(cx, cy, r + 3)
    c.setAlpha(.black, 0.35)
    c.fill()
    drawIcon(c, d, cx: cx, cy: cy, r: r - 2)
    if let left = state.cooldown {
      c.newPath()
      c.circle(cx, cy, r - 2)
      c.setAlpha(.black, 0.58)
      c.fill()
      c.text(
        String(Int(left.rounded(.up))), x: cx, y: cy + r * 0.27, size: r * 0.72,
        color: .white, align: .center, outline: .black, outlineWidth: 2)
    }
    c.newPath()
    c.circle(cx, cy, r - 1.5)
    c.lineWidth(3)
    c.linear(cx, cy - r, cx, cy + r, [(0, Color(hex: 0xF4ECD0), 1), (1, Color(hex: 0x8C8168), 1)])
    c.stroke()
    if state.glow > 0 {
      c.newPath()
      c.circle(cx, cy, r + 14)
      c.radial(
        cx, cy, r - 4, r + 14, [(0, d.accent.lighter(0.5), 0.9 * state.glow), (1, d.accent, 0)])
      c.fill()
    }
  }

  /// A hero portrait (head and shoulders on a gradient) in the rectangle x, y, w, h.
  static func drawPortrait(_ c: Canvas, _ art: HeroArt, x: Double, y: Double, w: Double, h: Double)
  {
    c.save()
    c.newPath()
    c.rect(x, y, w, h)
    c.clip()
    c.linear(
      x, y, x, y + h,
      [(0, art.portraitBackground.lighter(0.25), 1), (1, art.portraitBackground.darker(0.55), 1)])
    c.paint()
    // Light rays behind the figure.
    let cx = x + w / 2
    for k in 0..<7 {
      let a = -Double.pi / 2 + (Double(k) - 3) * 0.32
      c.newPath()
      c.move(cx, y + h * 0.45)
      c.line(cx + h * cos(a - 0.07), y + h * 0.45 + h * sin(a - 0.07))
      c.line(cx + h * cos(a + 0.07), y + h * 0.45 + h * sin(a + 0.07))
      c.close()
      c.setAlpha(art.theme.lighter(0.4), 0.16)
      c.fill()
    }
    let head = w * 0.2
    let hy = y + h * 0.42
    // Shoulders and garment.
    c.newPath()
    c.ellipse(cx, y + h * 0.98, w * 0.46, h * 0.3)
    c.linear(
      x, y + h * 0.7, x + w, y + h,
      [(0, art.garment.lighter(0.2), 1), (1, art.garment.darker(0.35), 1)])
    c.fill()
    c.newPath()
    c.move(cx - w * 0.12, y + h * 0.7)
    c.line(cx, y + h * 0.86)
    c.line(cx + w * 0.12, y + h * 0.7)
    c.lineWidth(w * 0.03)
    c.set(art.theme)
    c.stroke()
    // Neck, head, hair.
    c.newPath()
    c.rect(cx - head * 0.35, hy + head * 0.6, head * 0.7, head * 0.8)
    c.set(Color(hex: 0xE8C3A0))
    c.fill()
    c.newPath()
    c.ellipse(cx, hy, head * 0.82, head)
    c.radial(
      cx - head * 0.3, hy - head * 0.3, 0, head * 1.3,
      [(0, Color(hex: 0xFBE3CC), 1), (1, Color(hex: 0xD9A98A), 1)])
    c.fill()
    c.newPath()
    c.move(cx - head * 0.95, hy + head * 0.9)
    c.curve(
      cx - head * 1.2, hy - head * 0.6, cx - head * 0.6, hy - head * 1.35, cx, hy - head * 1.2)
    c.curve(
      cx + head * 0.6, hy - head * 1.35, cx + head * 1.2, hy - head * 0.6, cx + head * 0.95,
      hy + head * 0.9)
    c.line(cx + head * 0.7, hy - head * 0.2)
    c.curve(
      cx + head * 0.3, hy - head * 0.65, cx - head * 0.3, hy - head * 0.65, cx - head * 0.7,
      hy - head * 0.2)
    c.close()
    c.set(art.hair)
    c.fill()
    for s in [-1.0, 1.0] {
      c.newPath()
      c.ellipse(cx + s * head * 0.32, hy + head * 0.05, head * 0.1, head * 0.06)
      c.set(Color(hex: 0x2A1A14))
      c.fill()
    }
    c.text(
      art.emblem, x: x + w * 0.16, y: y + h * 0.2, size: w * 0.16, color: .white, alpha: 0.8,
      align: .center)
    c.restore()
  }
}
