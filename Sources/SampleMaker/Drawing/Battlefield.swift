import Foundation

/// The moving battlefield: a pre-drawn repeating terrain tile that scrolls with the camera,
/// plus units, the player's hero and skill effects drawn per frame.
final class Battlefield {
  static let tileWidth = 1600.0
  static let tileHeight = 1200.0
  /// Where the player's hero stands on screen (canonical pixels).
  static let heroScreen = (x: 620.0, y: 370.0)

  private let tile: Canvas
  private let scale: Double

  /// Draws the terrain tile at `scale` device pixels per canonical pixel.
  init(seed: UInt64, scale: Double) {
    self.scale = scale
    tile = Canvas(
      width: Int((Self.tileWidth * scale).rounded()),
      height: Int((Self.tileHeight * scale).rounded()))
    tile.scale(scale)
    Self.drawTerrain(tile, seed: seed)
  }

  private static func drawTerrain(_ c: Canvas, seed: UInt64) {
    var g = SplitMix64(seed: seed)
    let w = tileWidth
    let h = tileHeight
    let hue = g.uniform(-0.08, 0.08)
    let grass = Color(0.2 + hue, 0.36, 0.18 - hue)
    c.set(grass)
    c.paint()
    /// Draws `body` at (x, y) and at its wrapped copies, so the tile repeats without seams.
    func wrapped(_ x: Double, _ y: Double, _ reach: Double, _ body: (Double, Double) -> Void) {
      for dx in [-w, 0, w] {
        for dy in [-h, 0, h] {
          let (px, py) = (x + dx, y + dy)
          if px > -reach, px < w + reach, py > -reach, py < h + reach { body(px, py) }
        }
      }
    }
    // Ground texture: soft patches of lighter and darker grass and dirt.
    for _ in 0..<140 {
      let (x, y, r) = (g.uniform(0, w), g.uniform(0, h), g.uniform(30, 120))
      let col =
        g.chance(0.3)
        ? Color(hex: 0x6A5A3A) : grass.mix(g.chance(0.5) ? .white : .black, g.uniform(0.08, 0.25))
      let a = g.uniform(0.15, 0.35)
      wrapped(x, y, r) { px, py in
        c.newPath()
        c.ellipse(px, py, r, r * 0.7)
        c.radial(px, py, 0, r, [(0, col, a), (1, col, 0)])
        c.fill()
      }
    }
    // Lanes: a horizontal and a vertical stone road (periodic, so seamless).
    let road = Color(hex: 0x9A8A66)
    for vertical in [false, true] {
      let base = vertical ? g.uniform(200, w - 200) : g.uniform(150, h - 150)
      let amp = g.uniform(30, 80)
      let len = vertical ? h : w
      c.newPath()
      for i in 0...40 {
        let s = len * Double(i) / 40
        let o = base + amp * sin(2 * Double.pi * s / len)
        if vertical {
          if i == 0 { c.move(o - 55, s) } else { c.line(o - 55, s) }
        } else {
          if i == 0 { c.move(s, o - 55) } else { c.line(s, o - 55) }
        }
      }
      for i in stride(from: 40, through: 0, by: -1) {
        let s = len * Double(i) / 40
        let o = base + amp * sin(2 * Double.pi * s / len)
        if vertical { c.line(o + 55, s) } else { c.line(s, o + 55) }
      }
      c.close()
      c.set(road)
      c.fillPreserve()
      c.lineWidth(6)
      c.set(road.darker(0.35))
      c.stroke()
      // Paving stones along the road.
      for i in 0..<60 {
        let s = len * (Double(i) + 0.5) / 60
        let o = base + amp * sin(2 * Double.pi * s / len) + g.uniform(-35, 35)
        let (x, y) = vertical ? (o, s) : (s, o)
        c.newPath()
        c.roundedRect(x - 14, y - 10, 28, 20, 4)
        c.setAlpha(road.lighter(g.uniform(0.05, 0.25)), 0.8)
        c.fill()
      }
    }
    // The river: a wavy diagonal-looking band, periodic in x.
    let ry = g.uniform(0, h)
    let water = Color(hex: 0x2A6E8E)
    wrapped(0, ry, 200) { _, py in
      c.newPath()
      for i in 0...40 {
        let x = w * Double(i) / 40
        c.line(x, py - 70 + 40 * sin(2 * Double.pi * x / w * 2))
      }
      for i in stride(from: 40, through: 0, by: -1) {
        let x = w * Double(i) / 40
        c.line(x, py + 70 + 30 * sin(2 * Double.pi * x / w * 2 + 1))
      }
      c.close()
      c.linear(
        0, py - 90, 0, py + 90,
        [(0, water.darker(0.3), 1), (0.5, water.lighter(0.15), 1), (1, water.darker(0.3), 1)])
      c.fill()
      c.lineWidth(3)
      for k in 0..<12 {
        let x = Double(k) * w / 12 + 30
        c.newPath()
        c.move(x, py - 10 + Double(k % 3) * 15)
        c.curve(x + 30, py - 20, x + 60, py + 10, x + 90, py - 5 + Double(k % 3) * 15)
        c.setAlpha(.white, 0.25)
        c.stroke()
      }
    }
    // Walls and rocks.
    for _ in 0..<16 {
      let (x, y) = (g.uniform(0, w), g.uniform(0, h))
      let (rw, rh, a) = (g.uniform(40, 140), g.uniform(30, 80), g.uniform(0, 3.1))
      wrapped(x, y, 160) { px, py in
        c.save()
        c.translate(px, py)
        c.rotate(a)
        c.newPath()
        c.roundedRect(-rw / 2 + 6, -rh / 2 + 10, rw, rh, 14)
        c.setAlpha(.black, 0.35)
        c.fill()
        c.roundedRect(-rw / 2, -rh / 2, rw, rh, 14)
        c.linear(
          0, -rh / 2, 0, rh / 2, [(0, Color(hex: 0x8C8C84), 1), (1, Color(hex: 0x4A4A48), 1)])
        c.fill()
        c.restore()
      }
    }
    // Bushes and trees.
    for _ in 0..<45 {
      let (x, y) = (g.uniform(0, w), g.uniform(0, h))
      let tree = g.chance(0.4)
      let r = tree ? g.uniform(30, 55) : g.uniform(18, 32)
      let blobs = tree ? 1 : g.int(3...6)
      let offs = (0..<blobs).map { _ in (g.uniform(-30, 30), g.uniform(-15, 15)) }
      wrapped(x, y, 120) { px, py in
        for (ox, oy) in offs {
          c.newPath()
          c.circle(px + ox + 8, py + oy + 10, r)
          c.setAlpha(.black, 0.3)
          c.fill()
        }
        for (ox, oy) in offs {
          c.newPath()
          c.circle(px + ox, py + oy, r)
          let leaf = tree ? Color(hex: 0x1F5A24) : Color(hex: 0x2A6A2A)
          c.radial(
            px + ox - r * 0.3, py + oy - r * 0.3, 0, r * 1.2,
            [(0, leaf.lighter(0.25), 1), (1, leaf.darker(0.4), 1)])
          c.fill()
        }
      }
    }
    // Two defence towers.
    for k in 0..<2 {
      let (x, y) = (g.uniform(100, w - 100), g.uniform(100, h - 100))
      let col = Color(hex: k == 0 ? 0x4A90E8 : 0xE85A4A)
      wrapped(x, y, 120) { px, py in
        c.newPath()
        c.ellipse(px, py + 30, 60, 28)
        c.set(Color(hex: 0x5A5048))
        c.fill()
        c.newPath()
        c.move(px - 34, py + 30)
        c.line(px - 20, py - 60)
        c.line(px + 20, py - 60)
        c.line(px + 34, py + 30)
        c.close()
        c.linear(
          px - 34, 0, px + 34, 0, [(0, Color(hex: 0x9A8E80), 1), (1, Color(hex: 0x5A5048), 1)])
        c.fill()
        c.newPath()
        c.star(px, py - 85, points: 4, outer: 28, inner: 12, angle: 0)
        c.radial(px, py - 85, 0, 30, [(0, .white, 1), (1, col, 1)])
        c.fill()
      }
    }
  }

  /// Draws the battlefield at time `t`; the context must be in canonical coordinates.
  func draw(_ c: Canvas, t: Double, timeline tl: ClipTimeline, hero: HeroSpec?) {
    let p = tl.heroPosition(t)
    let camX = p.x - Self.heroScreen.x
    let camY = p.y - Self.heroScreen.y
    c.save()
    c.resetTransform()
    c.paint(tile, x: (-camX * scale).rounded(), y: (-camY * scale).rounded(), repeating: true)
    c.restore()
    // Units move relative to the hero and wrap around the view.
    for u in tl.units {
      var x = u.x0 + u.vx * t + 20 * sin(t * 1.3 + u.phase)
      x = (x + 800).truncatingRemainder(dividingBy: 1600)
      if x < 0 { x += 1600 }
      x = Self.heroScreen.x + x - 800
      let y =
        Self.heroScreen.y + u.y0 + u.vy * t.truncatingRemainder(dividingBy: 10) + 10
        * cos(t * 1.7 + u.phase)
      drawUnit(
        c, x: x, y: y, minion: u.isMinion, color: u.color, ally: u.ally,
        health: 0.3 + 0.7 * abs(sin(u.phase + t * 0.2)), bob: sin(t * 8 + u.phase))
    }
    if let hero {
      let (hx, hy) = Self.heroScreen
      for slot in 0..<3 {
        if let u = tl.lastUse(slot: slot, at: t), t - u < 0.7 {
          let k = (t - u) / 0.7
          c.newPath()
          c.circle(hx, hy, 40 + k * (slot == 2 ? 260 : 150))
          c.lineWidth(14 * (1 - k) + 2)
          c.setAlpha(hero.art.theme.lighter(0.3), 0.8 * (1 - k))
          c.stroke()
          if slot == 0 {
            c.newPath()
            c.move(hx, hy)
            c.line(hx + 220 * k + 40, hy - 60 * k)
            c.lineWidth(18 * (1 - k) + 2)
            c.setAlpha(hero.art.theme, 0.9 * (1 - k))
            c.stroke()
          }
        }
      }
      drawHero(c, x: hx, y: hy, art: hero.art, t: t)
    }
  }

  private func drawUnit(
    _ c: Canvas, x: Double, y: Double, minion: Bool, color: Color, ally: Bool, health: Double,
    bob: Double
  ) {
    let r = minion ? 14.0 : 24.0
    c.newPath()
    c.ellipse(x + 4, y + r * 0.9, r * 1.1, r * 0.45)
    c.setAlpha(.black, 0.35)
    c.fill()
    c.newPath()
    c.circle(x, y + bob * 2, r)
    c.radial(
      x - r * 0.4, y - r * 0.4, 0, r * 1.3, [(0, color.lighter(0.5), 1), (1, color.darker(0.4), 1)])
    c.fill()
    let bw = minion ? 34.0 : 60.0
    c.newPath()
    c.rect(x - bw / 2, y - r - 14, bw, 6)
    c.setAlpha(.black, 0.7)
    c.fill()
    c.rect(x - bw / 2 + 1, y - r - 13, (bw - 2) * health, 4)
    c.set(Color(hex: ally ? 0x4AB0FF : 0xFF4A3A))
    c.fill()
  }

  private func drawHero(_ c: Canvas, x: Double, y: Double, art: HeroArt, t: Double) {
    c.newPath()
    c.ellipse(x + 6, y + 34, 40, 16)
    c.setAlpha(.black, 0.4)
    c.fill()
    c.newPath()
    c.circle(x, y + 40, 46)
    c.lineWidth(3)
    c.setAlpha(Color(hex: 0x6AE07A), 0.7)
    c.stroke()
    let bob = 3 * sin(t * 9)
    c.newPath()
    c.ellipse(x, y + bob, 24, 32)
    c.radial(
      x - 8, y - 10 + bob, 0, 36,
      [(0, art.garment.lighter(0.4), 1), (1, art.garment.darker(0.3), 1)])
    c.fill()
    c.newPath()
    c.circle(x, y - 34 + bob, 15)
    c.set(art.hair)
    c.fill()
    c.newPath()
    c.move(x + 18, y + bob)
    c.line(x + 46 * cos(t * 3), y - 30 + 20 * sin(t * 3) + bob)
    c.lineWidth(5)
    c.set(art.theme)
    c.stroke()
    c.newPath()
    c.rect(x - 40, y - 70, 80, 9)
    c.setAlpha(.black, 0.75)
    c.fill()
    c.rect(x - 39, y - 69, 78 * (0.55 + 0.4 * abs(sin(t * 0.3))), 7)
    c.set(Color(hex: 0x5AE05A))
    c.fill()
    c.newPath()
    c.circle(x - 50, y - 66, 10)
    c.set(Color(hex: 0x203040))
    c.fill()
    c.text("\(4 + Int(t / 6) % 11)", x: x - 50, y: y - 61, size: 12, color: .white, align: .center)
  }
}
