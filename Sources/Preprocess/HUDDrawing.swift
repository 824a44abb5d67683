import Foundation
import HeroCore

/// Drawing the found HUD over a frame (for `--debug-hud`).
public enum HUDDrawing {
  /// `image` with each button's circle (skills green, attack orange) and each skill's crop
  /// square (yellow) drawn 2 px wide.
  public static func annotate(_ image: RGBImage, layout: LayoutProfile, geometry g: HUDGeometry)
    -> RGBImage
  {
    var out = image
    let k = g.scale * Double(g.frameHeight) / Double(layout.frame.height)
    func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
      guard x >= 0, y >= 0, x < out.width, y < out.height else { return }
      let i = (y * out.width + x) * 3
      out.pixels[i] = c.0
      out.pixels[i + 1] = c.1
      out.pixels[i + 2] = c.2
    }
    for b in layout.buttons(at: g) {
      let colour: (UInt8, UInt8, UInt8) = b.name == "attack" ? (255, 140, 0) : (40, 255, 80)
      let steps = max(64, Int(b.r * 8))
      for s in 0..<steps {
        let a = Double(s) * 2 * Double.pi / Double(steps)
        for dr in [-1.0, 0, 1] {
          put(
            Int((b.cx + (b.r + dr) * cos(a)).rounded()),
            Int((b.cy + (b.r + dr) * sin(a)).rounded()), colour)
        }
      }
      guard b.name != "attack" else { continue }
      let half = Double(layout.crop.size) * k / 2
      let (x0, x1) = (Int((b.cx - half).rounded()), Int((b.cx + half).rounded()))
      let (y0, y1) = (Int((b.cy - half).rounded()), Int((b.cy + half).rounded()))
      for x in x0...x1 {
        for t in 0..<2 {
          put(x, y0 + t, (255, 230, 0))
          put(x, y1 - t, (255, 230, 0))
        }
      }
      for y in y0...y1 {
        for t in 0..<2 {
          put(x0 + t, y, (255, 230, 0))
          put(x1 - t, y, (255, 230, 0))
        }
      }
    }
    return out
  }
}
