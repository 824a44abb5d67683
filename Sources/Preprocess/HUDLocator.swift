import Foundation
import HeroCore

/// The HUD found in one frame: where the buttons are, and how clearly.
public struct HUDMatch: Sendable, Equatable {
  public var geometry: HUDGeometry
  /// Ring coverage of each button (skills in name order, then attack), 0...1; over the part of
  /// the circle inside the frame (0 for a button not in view).
  public var buttonScores: [Float]
  /// Whether each button is in view: at least 5 of its 8 octants inside the frame. A picture
  /// cut at an edge (a 20:9 recording cropped to 16:9) leaves some buttons out.
  public var inView: [Bool]
  /// The mean of `buttonScores` over the buttons in view (0 when fewer than two are).
  public var score: Float {
    let seen = zip(buttonScores, inView).filter(\.1).map(\.0)
    return seen.count >= HUDLocator.minButtonsInView
      ? seen.reduce(0, +) / Float(seen.count) : 0
  }
  /// The lowest score of a button in view.
  public var weakest: Float { zip(buttonScores, inView).filter(\.1).map(\.0).min() ?? 0 }
  /// How well the circles fit (the mean, over buttons in view, of the share of angles with a
  /// hit at the best radius, times (n + 4) / 8 for n buttons in view, so that a constellation
  /// with fewer buttons in view wins only by a clear margin): finer than the octant scores, for
  /// placing the constellation to a pixel.
  public var fit: Float

  public init(geometry: HUDGeometry, buttonScores: [Float], fit: Float, inView: [Bool]? = nil) {
    self.geometry = geometry
    self.buttonScores = buttonScores
    self.fit = fit
    self.inView = inView ?? Array(repeating: true, count: buttonScores.count)
  }
}

/// Finds the attack and skill buttons of a layout in a frame of any width, as one
/// constellation anchored to the bottom-right corner (`HUDGeometry`), over the player's button
/// scale (`scales`) and shift (`maxShift` pixels at 720 lines, each way).
///
/// Two stages:
/// 1. **Circle votes** (half resolution, the bottom-right region the buttons can reach): every
///    pixel with a strong luma gradient votes for the centres at each radius along its gradient,
///    both ways (a circle's edge pixels all vote for its centre; a straight edge spreads its
///    votes along a line). Every constellation on a grid (scale step 0.03, shift step 4 px) is
///    scored by its buttons' votes, each normalised by the circle's circumference and capped,
///    so that no single strong circle decides.
/// 2. **Ring refinement** (full resolution) of the best few: the ring coverage of
///    `ScreenFeatures` (the fraction of the circle's octants with a radial edge or ridge) summed
///    over the buttons, climbed over shift (1 px) and scale (0.01).
public struct HUDLocator: Sendable {
  public let layout: LayoutProfile
  public var scales: ClosedRange<Double>
  /// Largest shift searched, in pixels of a 720-line frame (scaled with the frame height).
  public var maxShift: Double
  /// Largest shift to the right searched (pixels at 720 lines): a picture whose right edge was
  /// cut (a 19.5:9 to 21:9 recording centre-cropped to 16:9 loses 140 to 200 px there) puts
  /// the buttons that far right of where the corner would have them, some past the edge.
  public var maxOutShift: Double
  /// Fewest buttons in view for a constellation to count.
  public static let minButtonsInView = 2

  public init(
    layout: LayoutProfile, scales: ClosedRange<Double> = 0.72...1.34, maxShift: Double = 72,
    maxOutShift: Double = 216
  ) {
    self.layout = layout
    self.scales = scales
    self.maxShift = maxShift
    self.maxOutShift = max(maxShift, maxOutShift)
  }

  /// The best constellation in `frame`.
  public func search(_ frame: RGBImage) -> HUDMatch { search(Luma(frame)) }

  /// ``search(_:)`` on a frame's luma.
  func search(_ luma: Luma) -> HUDMatch {
    let candidates = coarse(luma)
    var best: HUDMatch?
    for g in candidates {
      let m = refine(luma, from: g)
      if best.map({ m.fit > $0.fit }) ?? true { best = m }
    }
    return best ?? score(luma, HUDGeometry(frameWidth: luma.width, frameHeight: luma.height))
  }

  /// The ring scores of the buttons at `g`, each the best within ±`slack` px of its place.
  public func score(_ frame: RGBImage, at g: HUDGeometry, slack: Int = 0) -> HUDMatch {
    score(Luma(frame), at: g, slack: slack)
  }

  /// ``score(_:at:slack:)`` on a frame's luma.
  func score(_ luma: Luma, at g: HUDGeometry, slack: Int = 0) -> HUDMatch {
    guard slack > 0 else { return score(luma, g) }
    // The offsets by the quick ring measure (as the search's hill-climb), the best one measured
    // in full.
    var best = score(luma, g, fast: true)
    for dy in stride(from: -slack, through: slack, by: 2) {
      for dx in stride(from: -slack, through: slack, by: 2) where dx != 0 || dy != 0 {
        var h = g
        h.dx += Double(dx)
        h.dy += Double(dy)
        let m = score(luma, h, fast: true)
        if m.fit > best.fit { best = m }
      }
    }
    return score(luma, best.geometry)
  }

  func score(_ luma: Luma, _ g: HUDGeometry, fast: Bool = false) -> HUDMatch {
    let rings = layout.buttons(at: g).map {
      RingScore.measure(
        luma, cx: Float($0.cx), cy: Float($0.cy), r: Float($0.r), slack: fast ? 1 : 2,
        angleStep: fast ? 2 : 1)
    }
    let seen = rings.filter(\.inView)
    let fit =
      seen.count >= Self.minButtonsInView
      ? seen.map(\.fit).reduce(0, +) / Float(seen.count) * Float(seen.count + 4)
        / Float(rings.count + 4)
      : 0
    return HUDMatch(
      geometry: g, buttonScores: rings.map { $0.inView ? $0.coverage : 0 }, fit: fit,
      inView: rings.map(\.inView))
  }

  /// Hill-climbs the summed ring coverage from `g`: shift steps of 2 then 1 px, scale steps of
  /// 0.02 then 0.01.
  func refine(_ luma: Luma, from start: HUDGeometry) -> HUDMatch {
    var best = score(luma, start, fast: true)
    for (step, sstep) in [(2.0, 0.02), (1.0, 0.01)] {
      var improved = true
      var rounds = 0
      while improved && rounds < 8 {
        improved = false
        rounds += 1
        let centre = best.geometry
        for ds in [-sstep, 0, sstep] {
          let s = centre.scale + ds
          guard scales.contains(s) else { continue }
          for ddy in [-step, 0, step] {
            for ddx in [-step, 0, step] where ds != 0 || ddx != 0 || ddy != 0 {
              var g = centre
              g.scale = s
              g.dx += ddx
              g.dy += ddy
              let m = score(luma, g, fast: true)
              if m.fit > best.fit + 1e-5 {
                best = m
                improved = true
              }
            }
          }
        }
      }
    }
    return score(luma, best.geometry)
  }

  /// The best few geometries by circle votes (stage 1), far enough apart from each other.
  func coarse(_ luma: Luma, keep: Int = 3) -> [HUDGeometry] {
    let (w, h) = (luma.width, luma.height)
    let unit = Double(h) / Double(layout.frame.height)
    let shift = maxShift * unit
    let buttons = layout.buttons(at: HUDGeometry(frameWidth: w, frameHeight: h))
    let corner = (x: Double(w), y: Double(h))
    // Relative offsets from the corner and radii at scale 1, in half-resolution pixels.
    let rel = buttons.map { ((($0.cx - corner.x) / 2), (($0.cy - corner.y) / 2), $0.r / 2) }
    let sMax = scales.upperBound
    // The region (half resolution) every button can reach.
    let minRelX = rel.map { $0.0 - $0.2 }.min() ?? 0
    let minRelY = rel.map { $0.1 - $0.2 }.min() ?? 0
    let hw = w / 2
    let hh = h / 2
    let x0 = max(0, Int((Double(hw) - shift / 2 + sMax * minRelX).rounded(.down)) - 4)
    let y0 = max(0, Int((Double(hh) - shift / 2 + sMax * minRelY).rounded(.down)) - 4)
    let rw = hw - x0
    let rh = hh - y0
    guard rw > 8, rh > 8 else { return [] }
    // Half-resolution luma of the region.
    var half = [Float](repeating: 0, count: rw * rh)
    luma.values.withUnsafeBufferPointer { v in
      for y in 0..<rh {
        let sy = 2 * (y0 + y)
        for x in 0..<rw {
          let sx = 2 * (x0 + x)
          let i = sy * w + sx
          let j = min(sy + 1, h - 1) * w + sx
          let right = sx + 1 < w ? 1 : 0
          half[y * rw + x] = 0.25 * (v[i] + v[i + right] + v[j] + v[j + right])
        }
      }
    }
    // Radii voted for: every other half-resolution pixel (the rings' several edges, a few
    // pixels apart, fill the ones between).
    let rMin = max(3, Int((scales.lowerBound * (rel.map(\.2).min() ?? 10)).rounded(.down)) - 2)
    let rMax = Int((sMax * (rel.map(\.2).max() ?? 30)).rounded(.up)) + 2
    let radii = (rMax - rMin) / 2 + 1
    guard radii > 0 else { return [] }
    var acc = [UInt16](repeating: 0, count: radii * rw * rh)
    let floor: Float = 60
    half.withUnsafeBufferPointer { L in
      acc.withUnsafeMutableBufferPointer { A in
        var gxs = [Float](repeating: 0, count: rw * rh)
        var gys = [Float](repeating: 0, count: rw * rh)
        var mags = [Float](repeating: 0, count: rw * rh)
        for y in 1..<(rh - 1) {
          for x in 1..<(rw - 1) {
            let i = y * rw + x
            let gx =
              (L[i - rw + 1] + 2 * L[i + 1] + L[i + rw + 1])
              - (L[i - rw - 1] + 2 * L[i - 1] + L[i + rw - 1])
            let gy =
              (L[i + rw - 1] + 2 * L[i + rw] + L[i + rw + 1])
              - (L[i - rw - 1] + 2 * L[i - rw] + L[i - rw + 1])
            gxs[i] = gx
            gys[i] = gy
            mags[i] = (gx * gx + gy * gy).squareRoot()
          }
        }
        for y in 2..<(rh - 2) {
          for x in 2..<(rw - 2) {
            let i = y * rw + x
            let m = mags[i]
            guard m > floor else { continue }
            let ux = gxs[i] / m
            let uy = gys[i] / m
            // Thin edges: only the local maximum across the edge votes.
            let sx = Int(ux.rounded())
            let sy = Int(uy.rounded())
            guard m >= mags[i + sy * rw + sx], m >= mags[i - sy * rw - sx] else { continue }
            for k in 0..<radii {
              let rho = Float(rMin + 2 * k)
              let plane = k * rw * rh
              let ax = Int((Float(x) + rho * ux).rounded())
              let ay = Int((Float(y) + rho * uy).rounded())
              if ax >= 0, ax < rw, ay >= 0, ay < rh {
                let c = plane + ay * rw + ax
                if A[c] < UInt16.max { A[c] += 1 }
              }
              let bx = Int((Float(x) - rho * ux).rounded())
              let by = Int((Float(y) - rho * uy).rounded())
              if bx >= 0, bx < rw, by >= 0, by < rh {
                let c = plane + by * rw + bx
                if A[c] < UInt16.max { A[c] += 1 }
              }
            }
          }
        }
      }
    }
    // Evidence of a circle of radius index k centred near (x, y): votes over radius indices
    // k-1...k+1 (±2 half-resolution pixels) and the 3x3 neighbourhood.
    func evidence(_ A: UnsafeBufferPointer<UInt16>, _ x: Int, _ y: Int, _ k: Int) -> Float {
      guard x >= 1, x < rw - 1, y >= 1, y < rh - 1 else { return 0 }
      var s = 0
      for kk in max(0, k - 1)...min(radii - 1, k + 1) {
        let base = kk * rw * rh
        for yy in (y - 1)...(y + 1) {
          let row = base + yy * rw
          s += Int(A[row + x - 1]) + Int(A[row + x]) + Int(A[row + x + 1])
        }
      }
      return Float(s)
    }
    var scored: [(Float, HUDGeometry)] = []
    let step = max(1, Int((2 * unit).rounded()))  // half-res pixels: 4 px at 720 lines
    let halfShift = Int((shift / 2).rounded())
    let halfOut = Int((maxOutShift * unit / 2).rounded())
    acc.withUnsafeBufferPointer { A in
      var s = scales.lowerBound
      while s <= sMax + 1e-9 {
        for dyh in stride(from: -halfShift, through: halfShift, by: step) {
          for dxh in stride(from: -halfShift, through: halfOut, by: step) {
            var total: Float = 0
            var seen = 0
            for (rx, ry, r) in rel {
              let cx = Int((Double(hw) + Double(dxh) + s * rx).rounded()) - x0
              let cy = Int((Double(hh) + Double(dyh) + s * ry).rounded()) - y0
              let rho = s * r
              // A button mostly past the frame's edge has no votes to give: left out.
              guard Double(cx) + 0.4 * rho < Double(rw), Double(cy) + 0.4 * rho < Double(rh)
              else { continue }
              seen += 1
              let k = Int(((rho - Double(rMin)) / 2).rounded())
              guard k >= 0, k < radii else { continue }
              let e = evidence(A, cx, cy, k) / Float(2 * Double.pi * rho)
              total += min(e, 2.5)
            }
            guard seen >= Self.minButtonsInView else { continue }
            // The mean over the buttons in view, weighted as `HUDMatch.fit` is.
            total = total / Float(seen) * Float(seen + 4) / Float(rel.count + 4) * Float(rel.count)
            scored.append(
              (
                total,
                HUDGeometry(
                  frameWidth: w, frameHeight: h, scale: s, dx: Double(2 * dxh), dy: Double(2 * dyh))
              ))
          }
        }
        s += 0.04
      }
    }
    scored.sort { $0.0 > $1.0 }
    var out: [HUDGeometry] = []
    for (_, g) in scored {
      let far = out.allSatisfy {
        abs($0.dx - g.dx) > 10 * unit || abs($0.dy - g.dy) > 10 * unit
          || abs($0.scale - g.scale) > 0.08
      }
      if far { out.append(g) }
      if out.count == keep { break }
    }
    return out
  }
}

/// The ring coverage of `ScreenFeatures` at one circle, with a configurable radius slack.
enum RingScore {
  static let angles = 48
  static let unitCircle: [(Float, Float)] = (0..<angles).map {
    let a = Double($0) * 2 * Double.pi / Double(angles)
    return (Float(cos(a)), Float(sin(a)))
  }

  /// `coverage`: the best, over radii `r ± slack`, fraction of the circle's 8 octants in which
  /// at least half the angles have a radial edge or ridge (one polarity) above the noise floor
  /// and the tangential difference. `fit`: the best share of the angles with such a hit.
  static func measure(
    _ luma: Luma, cx fx: Float, cy fy: Float, r: Float, slack: Int, angleStep: Int = 1
  ) -> (coverage: Float, fit: Float, inView: Bool) {
    var bestHits = 0
    let floor: Float = 6
    let perOctant = angles / 8
    var best = 0
    var hits = [Int](repeating: 0, count: 32)
    let r0 = Int(r.rounded())
    // The octants whose samples all lie inside the frame (all of them for a circle well
    // inside); a circle with fewer than 5 is not in view.
    let visible = visibleOctants(
      luma, cx: fx, cy: fy, outer: Float(max(4, r0 + slack) + 3), perOctant: perOctant)
    let octantsInView = visible.filter { $0 }.count
    guard octantsInView >= 5 else { return (0, 0, false) }
    for rho in max(4, r0 - slack)...max(4, r0 + slack) {
      let p = Float(rho)
      let dAngle = 2 / p
      for i in hits.indices { hits[i] = 0 }
      for k in stride(from: 0, to: angles, by: angleStep) {
        let (ux, uy) = unitCircle[k]
        let o = k / perOctant
        let lo3 = luma.at(fx + (p - 3) * ux, fy + (p - 3) * uy)
        let lo2 = luma.at(fx + (p - 2) * ux, fy + (p - 2) * uy)
        let mid = luma.at(fx + p * ux, fy + p * uy)
        let hi2 = luma.at(fx + (p + 2) * ux, fy + (p + 2) * uy)
        let hi3 = luma.at(fx + (p + 3) * ux, fy + (p + 3) * uy)
        let t1 = luma.at(fx + p * (ux - dAngle * uy), fy + p * (uy + dAngle * ux))
        let t2 = luma.at(fx + p * (ux + dAngle * uy), fy + p * (uy - dAngle * ux))
        let bar = max(floor, abs(t1 - t2))
        let edge = hi2 - lo2
        let ridge = mid - 0.5 * (lo3 + hi3)
        if edge > bar { hits[o] += 1 } else if -edge > bar { hits[8 + o] += 1 }
        if ridge > bar { hits[16 + o] += 1 } else if -ridge > bar { hits[24 + o] += 1 }
      }
      for kind in 0..<4 {
        var full = 0
        var all = 0
        for o in 0..<8 where visible[o] {
          if 2 * angleStep * hits[kind * 8 + o] >= perOctant { full += 1 }
          all += hits[kind * 8 + o]
        }
        best = max(best, full)
        bestHits = max(bestHits, all)
      }
    }
    return (
      Float(best) / Float(octantsInView),
      Float(bestHits * angleStep) / Float(octantsInView * perOctant), true
    )
  }

  /// Which of the 8 octants of a circle of radius `outer` around (cx, cy) lie inside the
  /// frame (every angle's point on the circle).
  static func visibleOctants(_ luma: Luma, cx: Float, cy: Float, outer: Float, perOctant: Int)
    -> [Bool]
  {
    let (w, h) = (Float(luma.width - 1), Float(luma.height - 1))
    if cx - outer >= 0, cy - outer >= 0, cx + outer <= w, cy + outer <= h {
      return Array(repeating: true, count: 8)
    }
    return (0..<8).map { o in
      (o * perOctant..<(o + 1) * perOctant).allSatisfy { k in
        let x = cx + outer * unitCircle[k].0
        let y = cy + outer * unitCircle[k].1
        return x >= 0 && y >= 0 && x <= w && y <= h
      }
    }
  }
}
