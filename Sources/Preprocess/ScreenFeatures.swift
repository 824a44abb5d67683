import Foundation
import HeroCore

/// The numbers a frame is sorted on: a colour thumbnail of the frame with the HUD buttons
/// masked out, plus evidence of the HUD's round buttons at the layout's positions.
///
/// - **Thumbnail** (`thumbWidth` x `thumbHeight` x 3): box averages of the frame over a grid of
///   cells; pixels inside any button disc (radius + `maxOffset` + 2) are left out, so the hero
///   icons on the buttons never enter it (unseen heroes sort like seen ones). Each colour
///   channel is then standardised over the thumbnail (minus its mean, over its standard
///   deviation), which cancels brightness, contrast and colour-balance shifts.
/// - **HUD rings** (per button, skill slots in name order then the attack button): for each
///   offset (dx, dy) in ±`maxOffset` px (step 2) and each radius within ±`radiusSlack` of the
///   layout's, the coverage of a circular edge or thin ring around the button: the fraction of
///   the circle's 8 octants in which most of the (48 in all) angles have a radial response (edge: L(ρ+2) − L(ρ−2); ridge: L(ρ) − ½(L(ρ−3) +
///   L(ρ+3)); one polarity for the whole circle) beats both a noise floor of 6 grey levels and
///   the tangential difference at that point. It is 0...1, near 1 for a clean ring, unchanged
///   by brightness shifts and little changed by contrast, and loses only the covered fraction
///   when an overlay or an effect hides part of the circle. One offset is chosen jointly for
///   all buttons (the HUD moves as a whole); the features are each button's score there, their
///   mean and their minimum.
public struct ScreenFeatures: Sendable {
  public static let thumbWidth = 32
  public static let thumbHeight = 18
  public static let maxOffset = 6
  public static let radiusSlack = 4
  static let angles = 48

  public let layout: LayoutProfile
  /// The unmasked pixels as runs of one row in one thumbnail cell (pixels inside a button disc
  /// are in none), built once per layout: `thumbnail` sums a run's bytes in integers.
  private let runs: [CellRun]
  private let cellCounts: [Float]
  private let buttons: [LayoutProfile.Slot]
  private let unitCircle: [(Float, Float)]

  /// Number of features per frame.
  public var count: Int { Self.thumbWidth * Self.thumbHeight * 3 + buttons.count + 2 }
  /// Number of leading thumbnail features.
  public static var thumbnailCount: Int { thumbWidth * thumbHeight * 3 }

  public init(layout: LayoutProfile) {
    self.layout = layout
    let w = layout.frame.width
    let h = layout.frame.height
    buttons = layout.orderedSkills.map(\.slot) + [layout.attack]
    var cells = [Int32](repeating: 0, count: w * h)
    var counts = [Float](repeating: 0, count: Self.thumbWidth * Self.thumbHeight)
    for y in 0..<h {
      let cy = y * Self.thumbHeight / h
      for x in 0..<w {
        var masked = false
        for b in buttons {
          let dx = x - b.cx
          let dy = y - b.cy
          let rr = b.r + Self.maxOffset + 2
          if dx * dx + dy * dy <= rr * rr {
            masked = true
            break
          }
        }
        if masked {
          cells[y * w + x] = -1
        } else {
          let c = cy * Self.thumbWidth + x * Self.thumbWidth / w
          cells[y * w + x] = Int32(c)
          counts[c] += 1
        }
      }
    }
    var runs: [CellRun] = []
    for y in 0..<h {
      var x = 0
      while x < w {
        let cell = cells[y * w + x]
        var end = x + 1
        while end < w && cells[y * w + end] == cell { end += 1 }
        if cell >= 0 {
          runs.append(CellRun(first: Int32(y * w + x), count: Int32(end - x), cell: cell))
        }
        x = end
      }
    }
    self.runs = runs
    cellCounts = counts
    unitCircle = (0..<Self.angles).map {
      let a = Double($0) * 2 * Double.pi / Double(Self.angles)
      return (Float(cos(a)), Float(sin(a)))
    }
  }

  /// The features of `frame` (which must have the layout's frame size).
  public func features(of frame: RGBImage) -> [Float] { features(of: frame, luma: Luma(frame)) }

  /// ``features(of:)`` with the frame's luma already made.
  func features(of frame: RGBImage, luma: Luma) -> [Float] {
    precondition(frame.width == layout.frame.width && frame.height == layout.frame.height)
    precondition(luma.width == frame.width && luma.height == frame.height)
    var out = thumbnail(frame)
    let scores = hudScores(luma)
    out.append(contentsOf: scores)
    out.append(scores.reduce(0, +) / Float(max(1, scores.count)))
    out.append(scores.min() ?? 0)
    return out
  }

  /// The HUD ring score of each button (skills in name order, then attack) at the best joint
  /// offset; each in 0...1.
  public func hudScores(_ frame: RGBImage) -> [Float] { hudScores(Luma(frame)) }

  /// ``hudScores(_:)`` on the frame's luma.
  ///
  /// A button mostly outside the frame (a picture cut at an edge: fewer than 5 of its octants
  /// inside) has no score of its own: it gets the mean of the buttons in view, so that the
  /// gameplay head reads the buttons it can see. With fewer than two in view every score is 0.
  func hudScores(_ luma: Luma) -> [Float] {
    let step = 2
    var best: [Float] = Array(repeating: 0, count: buttons.count)
    var bestSum: Float = -1
    for dy in stride(from: -Self.maxOffset, through: Self.maxOffset, by: step) {
      for dx in stride(from: -Self.maxOffset, through: Self.maxOffset, by: step) {
        var s: [Float] = []
        s.reserveCapacity(buttons.count)
        var seen = 0
        var seenSum: Float = 0
        for b in buttons {
          let score = ringScore(luma, cx: b.cx + dx, cy: b.cy + dy, r: b.r)
          if score >= 0 {
            seen += 1
            seenSum += score
          }
          s.append(score)
        }
        if seen < buttons.count {
          let fill = seen >= 2 ? seenSum / Float(seen) : 0
          for i in s.indices where s[i] < 0 || seen < 2 { s[i] = fill }
        }
        let sum = s.reduce(0, +)
        if sum > bestSum {
          bestSum = sum
          best = s
        }
      }
    }
    return best
  }

  /// The best ring coverage over radii `r ± radiusSlack` around (cx, cy): the fraction of the
  /// 8 octants of the circle in which at least half of the angles have a radial response (edge
  /// or ridge, one polarity for the whole circle) above both the noise floor and the tangential
  /// difference there. Straight edges of the scene can fill an octant or two, only a ring fills
  /// them all. Only the octants inside the frame count (the coverage is of those); a circle
  /// with fewer than 5 of them inside scores -1 (not in view).
  func ringScore(_ luma: Luma, cx: Int, cy: Int, r: Int) -> Float {
    let floor: Float = 6
    let perOctant = Self.angles / 8
    var best = 0
    let fx = Float(cx)
    let fy = Float(cy)
    let visible = RingScore.visibleOctants(
      luma, cx: fx, cy: fy, outer: Float(r + Self.radiusSlack + 3), perOctant: perOctant)
    let octantsInView = visible.filter { $0 }.count
    guard octantsInView >= 5 else { return -1 }
    // Hits per octant for edge-up, edge-down, ridge-up, ridge-down.
    var hits = [Int](repeating: 0, count: 32)
    for rho in max(4, r - Self.radiusSlack)...(r + Self.radiusSlack) {
      let p = Float(rho)
      // Tangential neighbours 4 px apart along the circle.
      let dAngle = 2 / p
      for i in hits.indices { hits[i] = 0 }
      for (k, (ux, uy)) in unitCircle.enumerated() {
        let o = k / perOctant
        let lo3 = luma.at(fx + (p - 3) * ux, fy + (p - 3) * uy)
        let lo2 = luma.at(fx + (p - 2) * ux, fy + (p - 2) * uy)
        let mid = luma.at(fx + p * ux, fy + p * uy)
        let hi2 = luma.at(fx + (p + 2) * ux, fy + (p + 2) * uy)
        let hi3 = luma.at(fx + (p + 3) * ux, fy + (p + 3) * uy)
        // Rotate the unit vector by ±dAngle (small-angle form is enough here).
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
        for o in 0..<8 where visible[o] && 2 * hits[kind * 8 + o] >= perOctant { full += 1 }
        best = max(best, full)
      }
    }
    return Float(best) / Float(octantsInView)
  }

  /// Per-channel standardised thumbnail of the unmasked pixels, channel-major.
  ///
  /// A cell's channel sum is at most 255 x its pixels (1,600 at 1280x720), far below 2^24, so
  /// summing in integers gives the float sums of the pixels exactly, in any order.
  func thumbnail(_ frame: RGBImage) -> [Float] {
    precondition(frame.width == layout.frame.width && frame.height == layout.frame.height)
    let cells = Self.thumbWidth * Self.thumbHeight
    var sums = [Float](repeating: 0, count: cells * 3)
    frame.pixels.withUnsafeBufferPointer { px in
      runs.withUnsafeBufferPointer { runs in
        sums.withUnsafeMutableBufferPointer { s in
          for run in runs {
            var r: UInt32 = 0
            var g: UInt32 = 0
            var b: UInt32 = 0
            let first = 3 * Int(run.first)
            for i in stride(from: first, to: first + 3 * Int(run.count), by: 3) {
              r &+= UInt32(px[i])
              g &+= UInt32(px[i + 1])
              b &+= UInt32(px[i + 2])
            }
            let c = Int(run.cell)
            s[c] += Float(r)
            s[cells + c] += Float(g)
            s[2 * cells + c] += Float(b)
          }
        }
      }
    }
    var out = [Float](repeating: 0, count: cells * 3)
    for ch in 0..<3 {
      var mean: Float = 0
      var used: Float = 0
      for c in 0..<cells where cellCounts[c] > 0 {
        let v = sums[ch * cells + c] / cellCounts[c]
        out[ch * cells + c] = v
        mean += v
        used += 1
      }
      mean /= max(1, used)
      var variance: Float = 0
      for c in 0..<cells where cellCounts[c] > 0 {
        let d = out[ch * cells + c] - mean
        variance += d * d
      }
      let sd = (variance / max(1, used)).squareRoot() + 4
      for c in 0..<cells {
        out[ch * cells + c] = cellCounts[c] > 0 ? (out[ch * cells + c] - mean) / sd : 0
      }
    }
    return out
  }
}

/// A run of pixels of one row in one thumbnail cell: pixel indices `first ..< first + count`.
private struct CellRun: Sendable {
  var first: Int32
  var count: Int32
  var cell: Int32
}

/// Luminance of a frame (BT.601 weights) with clamped nearest-pixel lookup.
struct Luma {
  let width: Int
  let height: Int
  let values: [Float]

  init(_ frame: RGBImage) {
    width = frame.width
    height = frame.height
    let n = frame.width * frame.height
    values = frame.pixels.withUnsafeBufferPointer { px in
      [Float](unsafeUninitializedCapacity: n) { out, count in
        for i in 0..<n {
          out[i] =
            0.299 * Float(px[3 * i]) + 0.587 * Float(px[3 * i + 1])
            + 0.114 * Float(px[3 * i + 2])
        }
        count = n
      }
    }
  }

  /// The value at the pixel nearest (x, y), clamped to the frame: the pixel index is
  /// ⌊v + 0.5⌋ clamped to 0 ... size − 1. Truncation gives the same index after the clamp (it
  /// differs from the floor only below 0, where both clamp to 0), without a call to `floorf`.
  @inline(__always) func at(_ x: Float, _ y: Float) -> Float {
    let xi = min(max(Int(x + 0.5), 0), width - 1)
    let yi = min(max(Int(y + 0.5), 0), height - 1)
    return values[yi * width + xi]
  }
}
