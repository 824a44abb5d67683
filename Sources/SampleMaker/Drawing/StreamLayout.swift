import Foundation
import HeroCore

/// A streamer's layout around and over the game picture (`FootageStyle.Upload.stream`): a dark
/// backdrop, a chat panel to the right of the picture whose messages scroll, and over the
/// picture a webcam box (a moving figure) and a translucent watermark. In output pixels.
enum StreamLayout {
  private static let names = [
    "kite_77", "mobai", "noodle", "fengyu", "Ari", "sam_k", "xiaoyu", "Rook",
  ]
  private static let words = [
    "gg", "nice combo", "that ult!", "lol", "what build?", "go mid", "clean", "666", "so close",
    "push push", "rip", "W",
  ]

  /// The backdrop and the chat panel (drawn before the picture).
  static func drawBackground(_ c: Canvas, t: Double, seed: UInt64, picture g: FootageGeometry) {
    let w = Double(c.width)
    let h = Double(c.height)
    c.resetTransform()
    c.linear(0, 0, w, h, [(0, Color(hex: 0x1C1630), 1), (1, Color(hex: 0x0E1A26), 1)])
    c.paint()
    let p = g.picture
    // A frame line around the picture.
    c.newPath()
    c.rect(p.x - 3, p.y - 3, p.width + 6, p.height + 6)
    c.set(Color(hex: 0x6A4AC8))
    c.fill()
    // The chat panel.
    let x0 = p.x + p.width + w * 0.015
    let pw = w - x0 - w * 0.012
    guard pw > 40 else { return }
    c.newPath()
    c.roundedRect(x0, h * 0.03, pw, h * 0.94, 6)
    c.set(Color(hex: 0x18181E))
    c.fill()
    c.text("STREAM CHAT", x: x0 + 10, y: h * 0.03 + 22, size: 14, color: Color(hex: 0xB8A8F0))
    let size = max(9, h / 60)
    let lineHeight = size * 1.7
    let scroll = Int(t * 1.5)
    let lines = Int((h * 0.94 - 40) / lineHeight)
    for k in 0..<max(0, lines) {
      var g = SplitMix64(seed: SplitMix64.derive(seed, UInt64(scroll + k) &+ 500))
      let y = h * 0.03 + 44 + Double(k) * lineHeight
      let name = names[g.int(0...(names.count - 1))]
      let colour = Color(g.uniform(0.4, 1), g.uniform(0.4, 1), g.uniform(0.4, 1))
      let nameWidth = c.text(name + ":", x: x0 + 8, y: y, size: size, color: colour)
      c.text(
        words[g.int(0...(words.count - 1))], x: x0 + 14 + nameWidth, y: y, size: size,
        color: Color(hex: 0xE0E0E0), bold: false)
    }
  }

  /// The webcam box and the watermark over the picture (drawn after it).
  static func drawOverlays(_ c: Canvas, t: Double, seed: UInt64, picture g: FootageGeometry) {
    let p = g.picture
    c.resetTransform()
    // Webcam: bottom left of the picture, over the joystick.
    let cw = (p.width * 0.22).rounded()
    let ch = (cw * 0.75).rounded()
    let (x, y) = (p.x + 6, p.y + p.height - ch - 6)
    c.newPath()
    c.rect(x - 2, y - 2, cw + 4, ch + 4)
    c.set(Color(hex: 0x6A4AC8))
    c.fill()
    c.save()
    c.newPath()
    c.rect(x, y, cw, ch)
    c.clip()
    c.linear(x, y, x, y + ch, [(0, Color(hex: 0x4A5A6A), 1), (1, Color(hex: 0x2A3038), 1)])
    c.paint()
    let sway = 0.08 * cw * sin(t * 1.3 + Double(seed % 7))
    let (hx, hy) = (x + cw * 0.5 + sway, y + ch * 0.42)
    c.newPath()
    c.ellipse(hx, y + ch * 1.05, cw * 0.32, ch * 0.42)
    c.set(Color(hex: 0x2A4A8A))
    c.fill()
    c.newPath()
    c.circle(hx, hy, ch * 0.2)
    c.set(Color(hex: 0xE0B890))
    c.fill()
    c.restore()
    // Watermark: large translucent text across the upper middle of the picture.
    c.text(
      "▶ HERO STREAM", x: p.x + p.width * 0.5, y: p.y + p.height * 0.3, size: p.height * 0.07,
      color: .white, alpha: 0.3, align: .center)
  }
}
