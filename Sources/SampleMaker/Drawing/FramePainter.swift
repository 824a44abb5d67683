import Foundation
import HeroCore

/// Paints frame after frame of one clip onto one canvas at the output size. The layout is the
/// canonical 1280x720 frame scaled to the output, so the HUD lands on the layout's positions.
final class FramePainter {
  let spec: ClipSpec
  let timeline: ClipTimeline
  let canvas: Canvas
  private let battlefield: Battlefield
  private let layout = LayoutProfile.default
  private let sx: Double
  private let sy: Double
  /// Where the game picture and the buttons land (footage styles only).
  let geometry: FootageGeometry?

  init(spec: ClipSpec) {
    self.spec = spec
    timeline = ClipTimeline(spec: spec)
    canvas = Canvas(width: spec.width, height: spec.height)
    sx = Double(spec.width) / Double(layout.frame.width)
    sy = Double(spec.height) / Double(layout.frame.height)
    if let style = spec.style {
      let g = FootageGeometry(style: style, look: spec.look, width: spec.width, height: spec.height)
      geometry = g
      battlefield = Battlefield(seed: timeline.terrainSeed, scale: g.pixelScale)
    } else {
      geometry = nil
      battlefield = Battlefield(seed: timeline.terrainSeed, scale: min(sx, sy))
    }
  }

  /// Paints frame `index` (time `index / fps`).
  func paint(_ index: Int) {
    if let style = spec.style, let geometry {
      paintFootage(index, style: style, geometry: geometry)
      // The look (brightness, colour cast) is the game's: black bars and a stream layout
      // around the picture keep their own colours.
      let p = geometry.picture
      canvas.save()
      canvas.resetTransform()
      canvas.newPath()
      canvas.rect(p.x, p.y, p.width, p.height)
      canvas.clip()
      applyLook()
      canvas.restore()
      return
    }
    let c = canvas
    let t = Double(index) / Double(spec.fps)
    let span = spec.span(at: index)
    let spanIndex = spec.spans.firstIndex(of: span) ?? 0
    c.resetTransform()
    c.blend(.over)
    c.scale(sx, sy)
    switch span.screen {
    case .gameplay:
      if let hero = spec.hero {
        battlefield.draw(c, t: t, timeline: timeline, hero: hero)
        c.save()
        c.translate(Double(spec.look.hudDX), Double(spec.look.hudDY))
        HUDPainter.draw(c, t: t, timeline: timeline, hero: hero, layout: layout)
        c.restore()
        HUDPainter.drawEffects(c, t: t, timeline: timeline)
      } else {
        battlefield.draw(c, t: t, timeline: timeline, hero: nil)
      }
    case .loading:
      MenuScreens.drawLoading(c, t: t - span.start, timeline: timeline)
    case .shop:
      battlefield.draw(c, t: span.start, timeline: timeline, hero: spec.hero)
      MenuScreens.drawShop(c, t: t - span.start, timeline: timeline)
    case .other:
      var pick = SplitMix64(seed: timeline.otherSeed &+ UInt64(spanIndex))
      let variant = pick.chance(0.5) ? 1 : 0
      if variant == 0 { battlefield.draw(c, t: span.start, timeline: timeline, hero: spec.hero) }
      MenuScreens.drawOther(
        c, t: t - span.start, variant: variant, timeline: timeline, hero: spec.hero)
    }
    applyLook()
  }

  /// Paints frame `index` of a footage-style clip: the stream layout's panels (if any), the game
  /// picture (`paintGame`) clipped to its box, then the overlays over the picture.
  private func paintFootage(_ index: Int, style: FootageStyle, geometry g: FootageGeometry) {
    let c = canvas
    let t = Double(index) / Double(spec.fps)
    c.resetTransform()
    c.blend(.over)
    c.set(.black)
    c.paint()
    if style.upload == .stream { StreamLayout.drawBackground(c, t: t, seed: spec.seed, picture: g) }
    c.save()
    c.newPath()
    c.rect(g.picture.x, g.picture.y, g.picture.width, g.picture.height)
    c.clip()
    c.translate(g.picture.x - g.pixelScale * g.viewX, g.picture.y)
    c.scale(g.pixelScale)
    paintGame(index, t: t, style: style)
    c.restore()
    if style.upload == .stream { StreamLayout.drawOverlays(c, t: t, seed: spec.seed, picture: g) }
  }

  /// The game picture in canonical units (720 high, `style.canonicalWidth` wide): menus and the
  /// battlefield centred, the minimap and joystick at the left, the buttons anchored to the
  /// bottom-right corner at the style's scale and shift.
  private func paintGame(_ index: Int, t: Double, style: FootageStyle) {
    let c = canvas
    let span = spec.span(at: index)
    let spanIndex = spec.spans.firstIndex(of: span) ?? 0
    let width = style.canonicalWidth
    let centre = (width - Double(layout.frame.width)) / 2
    let right = width - Double(layout.frame.width)
    c.save()
    c.translate(centre, 0)
    switch span.screen {
    case .gameplay:
      battlefield.draw(c, t: t, timeline: timeline, hero: spec.hero)
    case .loading:
      MenuScreens.drawLoading(c, t: t - span.start, timeline: timeline)
    case .shop:
      battlefield.draw(c, t: span.start, timeline: timeline, hero: spec.hero)
      MenuScreens.drawShop(c, t: t - span.start, timeline: timeline)
    case .other:
      var pick = SplitMix64(seed: timeline.otherSeed &+ UInt64(spanIndex))
      let variant = pick.chance(0.5) ? 1 : 0
      if variant == 0 { battlefield.draw(c, t: span.start, timeline: timeline, hero: spec.hero) }
      MenuScreens.drawOther(
        c, t: t - span.start, variant: variant, timeline: timeline, hero: spec.hero)
    }
    c.restore()
    guard span.screen == .gameplay, let hero = spec.hero else { return }
    HUDPainter.drawFixed(c, t: t, timeline: timeline, centreDX: centre, rightDX: right)
    c.save()
    c.translate(
      width + style.shiftX + Double(spec.look.hudDX),
      Double(layout.frame.height) + style.shiftY + Double(spec.look.hudDY))
    c.scale(style.hudScale)
    c.translate(-Double(layout.frame.width), -Double(layout.frame.height))
    HUDPainter.drawButtons(
      c, t: t, timeline: timeline, hero: hero, layout: layout, slots: style.slots)
    c.restore()
    c.save()
    c.translate(right, 0)
    HUDPainter.drawEffects(c, t: t, timeline: timeline)
    c.restore()
  }

  /// The per-video brightness shift and colour cast, over the whole frame.
  private func applyLook() {
    let look = spec.look
    canvas.resetTransform()
    if look.brightness > 0 {
      canvas.setAlpha(.white, look.brightness)
      canvas.paint()
    } else if look.brightness < 0 {
      canvas.setAlpha(.black, -look.brightness)
      canvas.paint()
    }
    if look.tintStrength > 0 {
      canvas.setAlpha(look.tint, look.tintStrength)
      canvas.paint()
    }
  }
}

/// A skill icon as drawn on its button, for comparing with crops: a `size`x`size` square showing
/// the button of `slot` (1, 2 or 3) centred, at the scale of the default layout's crop (the
/// skill-2 button of radius 42 fills a 104-pixel crop the same way), on a dark grey background,
/// ready (no cooldown, no glow).
public func renderSkillIcon(hero: HeroSpec, slot: Int, size: Int) -> RGBImage {
  precondition((1...3).contains(slot) && size >= 8)
  let layout = LayoutProfile.default
  let c = Canvas(width: size, height: size)
  let s = Double(size) / Double(layout.crop.size)
  c.scale(s)
  c.set(Color(hex: 0x303030))
  c.paint()
  let r = Double(layout.orderedSkills[slot - 1].slot.r)
  let mid = Double(layout.crop.size) / 2
  IconPainter.drawSkillButton(
    c, hero.art.skills[slot - 1], cx: mid, cy: mid, r: r, state: .init(cooldown: nil, glow: 0))
  return c.rgbImage()
}

/// A hero's portrait as drawn on the loading screen cards, `width`x`height`.
public func renderPortrait(hero: HeroSpec, width: Int, height: Int) -> RGBImage {
  let c = Canvas(width: width, height: height)
  IconPainter.drawPortrait(c, hero.art, x: 0, y: 0, w: Double(width), h: Double(height))
  return c.rgbImage()
}

/// Writes a PNG sheet of every hero: one row per hero with its portrait, its three skill buttons
/// (as drawn in game, ready) and its names.
public func writeHeroSheet(to path: String) throws {
  let row = 120.0
  let c = Canvas(width: 640, height: Int(row) * Heroes.all.count)
  c.set(Color(hex: 0x1A1E28))
  c.paint()
  for (i, hero) in Heroes.all.enumerated() {
    let y = Double(i) * row
    IconPainter.drawPortrait(c, hero.art, x: 10, y: y + 10, w: 80, h: 100)
    for k in 0..<3 {
      IconPainter.drawSkillButton(
        c, hero.art.skills[k], cx: 150 + Double(k) * 110, cy: y + 60, r: 46, state: .init())
    }
    c.text(hero.latinName, x: 470, y: y + 55, size: 18, color: .white)
    c.text(
      hero.inTraining ? "training" : "never trained", x: 470, y: y + 80, size: 14,
      color: hero.inTraining ? Color(hex: 0x8AD08A) : Color(hex: 0xE0A060), bold: false)
  }
  guard c.writePNG(path: path) else {
    throw ClipError.writeFailed(path: path, reason: "cannot write PNG")
  }
}
