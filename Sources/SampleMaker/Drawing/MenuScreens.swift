import Foundation

/// The non-gameplay screens, in canonical 1280x720 coordinates: loading, shop and two kinds of
/// `other` (hero selection, victory banner).
enum MenuScreens {
  static let gold = Color(hex: 0xE8C878)

  /// Dark background and a 2x5 grid of portrait cards with loading percentages.
  static func drawLoading(_ c: Canvas, t: Double, timeline tl: ClipTimeline) {
    c.linear(
      0, 0, 0, 720,
      [(0, Color(hex: 0x0A1024), 1), (0.5, Color(hex: 0x141A38), 1), (1, Color(hex: 0x08091A), 1)])
    c.paint()
    c.lineWidth(1)
    for k in 0..<24 {
      c.newPath()
      c.move(Double(k) * 60 - 200, 0)
      c.line(Double(k) * 60 + 160, 720)
      c.setAlpha(Color(hex: 0x3A4A8A), 0.12)
      c.stroke()
    }
    c.text("5V5 RANKED MATCH", x: 640, y: 44, size: 24, color: gold, align: .center)
    c.newPath()
    c.rect(440, 56, 400, 2)
    c.setAlpha(gold, 0.6)
    c.fill()
    let (cw, ch, gap) = (196.0, 282.0, 22.0)
    let x0 = (1280 - 5 * cw - 4 * gap) / 2
    for (i, hero) in tl.cards.enumerated() {
      let row = Double(i / 5)
      let x = x0 + Double(i % 5) * (cw + gap)
      let y = 74 + row * (ch + 40)
      let team = Color(hex: i < 5 ? 0x3A7AD8 : 0xD84A3A)
      c.newPath()
      c.roundedRect(x - 3, y - 3, cw + 6, ch + 6, 8)
      c.set(i == tl.playerCard ? gold : team.darker(0.2))
      c.fill()
      IconPainter.drawPortrait(c, hero.art, x: x, y: y, w: cw, h: ch - 60)
      c.newPath()
      c.rect(x, y + ch - 60, cw, 60)
      c.linear(
        0, y + ch - 60, 0, y + ch, [(0, Color(hex: 0x1A2038), 1), (1, Color(hex: 0x0C1020), 1)])
      c.fill()
      c.text(hero.latinName, x: x + cw / 2, y: y + ch - 36, size: 16, color: .white, align: .center)
      let p = min(100, Int(tl.loadStart[i] + tl.loadRate[i] * t))
      c.newPath()
      c.rect(x + 10, y + ch - 20, cw - 84, 8)
      c.set(Color(hex: 0x2A2A3A))
      c.fill()
      c.rect(x + 10, y + ch - 20, (cw - 84) * Double(p) / 100, 8)
      c.set(p == 100 ? Color(hex: 0x5AE07A) : team.lighter(0.3))
      c.fill()
      c.text("\(p)%", x: x + cw - 10, y: y + ch - 11, size: 16, color: gold, align: .right)
    }
  }

  /// The shop: a large item panel over a dimmed battlefield; no skill buttons.
  static func drawShop(_ c: Canvas, t: Double, timeline tl: ClipTimeline) {
    c.setAlpha(.black, 0.6)
    c.paint()
    let (px, py, pw, ph) = (70.0, 36.0, 1140.0, 656.0)
    c.newPath()
    c.roundedRect(px, py, pw, ph, 14)
    c.linear(0, py, 0, py + ph, [(0, Color(hex: 0x1C2436), 1), (1, Color(hex: 0x10141F), 1)])
    c.fillPreserve()
    c.lineWidth(3)
    c.set(Color(hex: 0x8A7A50))
    c.stroke()
    c.text("ITEM SHOP", x: px + 30, y: py + 42, size: 26, color: gold)
    c.newPath()
    c.circle(px + pw - 230, py + 32, 11)
    c.set(Color(hex: 0xF0C040))
    c.fill()
    c.text("\(tl.gold)", x: px + pw - 212, y: py + 40, size: 22, color: Color(hex: 0xF8D870))
    c.text("✕", x: px + pw - 34, y: py + 44, size: 30, color: Color(hex: 0xE0E0E0), align: .center)
    // Tabs on the left.
    let tabs = ["Recommended", "Attack", "Magic", "Defense", "Movement", "Jungle"]
    for (k, name) in tabs.enumerated() {
      let y = py + 70 + Double(k) * 64
      c.newPath()
      c.roundedRect(px + 16, y, 180, 52, 6)
      c.set(k == tl.shopTab ? Color(hex: 0x8A6A2A) : Color(hex: 0x242C40))
      c.fill()
      c.text(
        name, x: px + 106, y: y + 33, size: 17,
        color: k == tl.shopTab ? .white : Color(hex: 0xA0A8C0), align: .center)
    }
    // The item grid.
    var g = SplitMix64(seed: tl.shopSeed &+ UInt64(tl.shopTab))
    let selected = g.int(0...23)
    for k in 0..<24 {
      let x = px + 220 + Double(k % 6) * 112
      let y = py + 72 + Double(k / 6) * 142
      c.newPath()
      c.roundedRect(x, y, 100, 130, 8)
      c.set(k == selected ? Color(hex: 0x3A3420) : Color(hex: 0x1E2538))
      c.fillPreserve()
      c.lineWidth(2)
      c.set(k == selected ? gold : Color(hex: 0x3A4460))
      c.stroke()
      drawItem(c, x: x + 50, y: y + 50, r: 36, seed: g.next())
      c.newPath()
      c.circle(x + 28, y + 112, 7)
      c.set(Color(hex: 0xF0C040))
      c.fill()
      c.text(
        "\(g.int(3...29) * 100 + 50 * g.int(0...1))", x: x + 40, y: y + 118, size: 15,
        color: Color(hex: 0xF8D870))
    }
    // The detail pane.
    let dx = px + 905
    c.newPath()
    c.roundedRect(dx, py + 72, 215, 560, 10)
    c.set(Color(hex: 0x151B2A))
    c.fill()
    drawItem(c, x: dx + 107, y: py + 160, r: 62, seed: tl.shopSeed &+ UInt64(selected))
    for line in 0..<6 {
      c.newPath()
      c.roundedRect(dx + 18, py + 260 + Double(line) * 34, 140 + Double((line * 37) % 40), 12, 4)
      c.setAlpha(Color(hex: 0xA0A8C0), 0.5)
      c.fill()
    }
    c.newPath()
    c.roundedRect(dx + 30, py + 560, 155, 52, 10)
    c.linear(
      0, py + 560, 0, py + 612, [(0, Color(hex: 0xF0C050), 1), (1, Color(hex: 0xB07A20), 1)])
    c.fill()
    c.text("BUY", x: dx + 107, y: py + 595, size: 22, color: Color(hex: 0x2A1A08), align: .center)
  }

  /// An item icon: a coloured tile with a weapon, staff, shield, boot or gem.
  private static func drawItem(_ c: Canvas, x: Double, y: Double, r: Double, seed: UInt64) {
    var g = SplitMix64(seed: seed)
    let col = Color(g.uniform(0.2, 0.9), g.uniform(0.2, 0.9), g.uniform(0.2, 0.9))
    c.newPath()
    c.roundedRect(x - r, y - r, 2 * r, 2 * r, r * 0.2)
    c.radial(x, y - r * 0.3, 0, r * 1.4, [(0, col.lighter(0.2), 1), (1, col.darker(0.6), 1)])
    c.fill()
    c.save()
    c.translate(x, y)
    c.scale(r)
    c.rotate(g.uniform(-0.8, 0.8))
    c.newPath()
    switch g.int(0...4) {
    case 0:
      c.move(0, -0.8)
      c.line(0.12, 0.4)
      c.line(-0.12, 0.4)
      c.close()
      c.rect(-0.35, 0.4, 0.7, 0.1)
      c.rect(-0.05, 0.5, 0.1, 0.3)
    case 1:
      c.rect(-0.06, -0.5, 0.12, 1.3)
      c.circle(0, -0.6, 0.22)
    case 2:
      c.shield(halfWidth: 0.5, top: -0.55, shoulder: 0.4, waist: 0.6, tip: 0.75)
    case 3:
      c.move(-0.3, -0.7)
      c.line(0.1, -0.7)
      c.line(0.1, 0.2)
      c.line(0.6, 0.35)
      c.line(0.6, 0.65)
      c.line(-0.3, 0.65)
      c.close()
    default:
      c.star(0, 0, points: g.int(4...8), outer: 0.7, inner: 0.35, angle: 0)
    }
    c.linear(0, -0.8, 0, 0.8, [(0, .white, 1), (1, col.lighter(0.5), 1)])
    c.fill()
    c.restore()
  }

  /// One of two `other` screens, picked by `variant`: hero selection or a victory banner.
  static func drawOther(
    _ c: Canvas, t: Double, variant: Int, timeline tl: ClipTimeline, hero: HeroSpec?
  ) {
    if variant % 2 == 0 {
      c.setAlpha(.black, 0.55)
      c.paint()
      c.newPath()
      c.move(180, 250)
      c.line(1100, 250)
      c.line(1160, 330)
      c.line(1100, 410)
      c.line(180, 410)
      c.line(120, 330)
      c.close()
      c.linear(
        0, 250, 0, 410,
        [
          (0, Color(hex: 0x7A1A10), 0.95), (0.5, Color(hex: 0xC03A1A), 0.95),
          (1, Color(hex: 0x5A1008), 0.95),
        ])
      c.fill()
      for s in [-1.0, 1.0] {
        for k in 0..<5 {
          c.newPath()
          let bx = 640 + s * (330 + Double(k) * 40)
          c.move(bx, 300)
          c.line(bx + s * 60, 230 - Double(k) * 10)
          c.line(bx + s * 30, 330)
          c.close()
          c.setAlpha(gold, 0.8 - Double(k) * 0.12)
          c.fill()
        }
      }
      c.text(
        "VICTORY", x: 640, y: 362, size: 96, color: Color(hex: 0xFFE08A), align: .center,
        outline: Color(hex: 0x5A2A00), outlineWidth: 6, serif: true)
      c.text(
        "MVP  \(hero?.latinName ?? "PLAYER")", x: 640, y: 470, size: 30, color: .white,
        align: .center,
        outline: .black, outlineWidth: 3)
      c.text(
        "Tap to continue", x: 640, y: 660, size: 20, color: Color(hex: 0xC0C0C0),
        alpha: 0.6 + 0.4 * sin(t * 4), align: .center)
      return
    }
    // Hero selection.
    c.linear(0, 0, 1280, 720, [(0, Color(hex: 0x1A1030), 1), (1, Color(hex: 0x0A1828), 1)])
    c.paint()
    c.text("SELECT YOUR HERO", x: 640, y: 48, size: 30, color: gold, align: .center)
    c.text("\(max(0, 30 - Int(t)))", x: 1200, y: 52, size: 34, color: .white, align: .center)
    for (k, h) in tl.cards.prefix(5).enumerated() {
      let y = 90 + Double(k) * 118
      c.newPath()
      c.roundedRect(20, y, 250, 104, 8)
      c.set(Color(hex: 0x202A44))
      c.fill()
      IconPainter.drawPortrait(c, h.art, x: 28, y: y + 8, w: 88, h: 88)
      c.text(h.latinName, x: 128, y: y + 46, size: 16, color: .white)
      c.text(
        k == tl.playerCard ? "Locked" : "Picking…", x: 128, y: y + 76, size: 14,
        color: Color(hex: 0xA0A8C0))
    }
    for k in 0..<Heroes.all.count {
      let x = 320 + Double(k % 5) * 122
      let y = 110 + Double(k / 5) * 130
      c.newPath()
      c.roundedRect(x - 3, y - 3, 112, 112, 8)
      c.set(Heroes.all[k].name == hero?.name ? gold : Color(hex: 0x3A4460))
      c.fill()
      IconPainter.drawPortrait(c, Heroes.all[k].art, x: x, y: y, w: 106, h: 106)
    }
    if let hero {
      IconPainter.drawPortrait(c, hero.art, x: 960, y: 90, w: 280, h: 430)
      c.text(hero.latinName, x: 1100, y: 560, size: 26, color: .white, align: .center)
    }
    c.newPath()
    c.roundedRect(980, 610, 240, 64, 12)
    c.linear(0, 610, 0, 674, [(0, Color(hex: 0xF0C050), 1), (1, Color(hex: 0xB07A20), 1)])
    c.fill()
    c.text("CONFIRM", x: 1100, y: 652, size: 26, color: Color(hex: 0x2A1A08), align: .center)
  }
}
