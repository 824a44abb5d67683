import Foundation

/// A small grey picture of a decoded frame, for finding where the game picture lies.
public struct GreyProbe: Sendable {
  public let width: Int
  public let height: Int
  /// Luma, row-major, `width * height` values.
  public let pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height)
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// The luma (BT.601) of an RGB image.
  public init(_ image: RGBImage) {
    width = image.width
    height = image.height
    let n = image.width * image.height
    pixels = [UInt8](unsafeUninitializedCapacity: n) { out, count in
      image.pixels.withUnsafeBufferPointer { px in
        guard let dst = out.baseAddress else { return }
        guard let src = px.baseAddress, px.count >= 3 * n else {
          dst.initialize(repeating: 0, count: n)
          return
        }
        for i in 0..<n {
          // At most (256·255 + 128) >> 8 = 255: no clamp needed.
          let y =
            (77 * UInt32(src[3 * i]) + 150 * UInt32(src[3 * i + 1])
              + 29 * UInt32(src[3 * i + 2]) + 128) >> 8
          dst[i] = UInt8(truncatingIfNeeded: y)
        }
      }
      count = n
    }
  }
}

/// Finds the region of a video's frames that holds the game picture: black bars removed (as
/// `ffmpeg cropdetect` does: the union over the frames of the rows and columns whose mean luma
/// is above a limit), then, inside that, the game picture of a streamer's layout (a block of
/// columns and rows where the picture changes from frame to frame while the panels around it
/// stay still) when it fills at least `minStreamFraction` of the width.
public enum ActivePicture {
  /// Mean luma (0...255, full range) up to which a row or column counts as a black bar:
  /// `cropdetect`'s default limit, 24 on limited-range luma (black at 16), is 9.3 here.
  public static let barLimit = 10.0
  /// Mean luma up to which the line at a bar's edge still counts as bar (compression blur).
  static let edgeLimit = 24.0
  /// A picture inside a larger layout is taken only when it is at least this share of the
  /// frame's width (else the whole frame, bars removed, is the picture).
  public static let minStreamFraction = 0.6
  /// Luma difference between two frames that counts as a change.
  static let changeLimit = 16

  /// What was found, in probe pixels.
  public struct Detection: Sendable, Equatable {
    /// The box with the bars removed.
    public var bars: PixelRect
    /// The picture: `bars`, or the game picture inside a stream layout.
    public var picture: PixelRect
    /// Whether `picture` is a part of a larger layout (not just bars removed).
    public var inLayout: Bool
  }

  /// The picture of frames `probes` (all of one size; at least one). Frames that are black
  /// all over are ignored; with none left, the whole frame.
  public static func detect(_ probes: [GreyProbe]) -> Detection {
    guard let first = probes.first else {
      let r = PixelRect(x: 0, y: 0, width: 0, height: 0)
      return Detection(bars: r, picture: r, inLayout: false)
    }
    let (w, h) = (first.width, first.height)
    let whole = PixelRect(x: 0, y: 0, width: w, height: h)
    let usable = probes.filter { $0.width == w && $0.height == h }
    // 1. Bars: union of the non-black extents over the frames.
    var x0 = w
    var x1 = -1
    var y0 = h
    var y1 = -1
    for p in usable {
      var rowMean = [Double](repeating: 0, count: h)
      var colMean = [Double](repeating: 0, count: w)
      p.pixels.withUnsafeBufferPointer { px in
        for y in 0..<h {
          var s = 0
          for x in 0..<w {
            let v = Int(px[y * w + x])
            s += v
            colMean[x] += Double(v)
          }
          rowMean[y] = Double(s) / Double(w)
        }
      }
      for x in 0..<w { colMean[x] /= Double(h) }
      guard let a = colMean.firstIndex(where: { $0 > barLimit }),
        let b = colMean.lastIndex(where: { $0 > barLimit }),
        let c = rowMean.firstIndex(where: { $0 > barLimit }),
        let d = rowMean.lastIndex(where: { $0 > barLimit })
      else { continue }  // black all over
      x0 = min(x0, a)
      x1 = max(x1, b)
      y0 = min(y0, c)
      y1 = max(y1, d)
    }
    guard x1 >= x0, y1 >= y0 else { return Detection(bars: whole, picture: whole, inLayout: false) }
    // Where a bar was found, its edge is blurred by the compression: move that edge in while
    // the line next to it is still dark (mean luma up to `edgeLimit` in every frame), by at
    // most 1% of the size.
    func darkest(_ line: (GreyProbe) -> Double) -> Double { usable.map(line).max() ?? 0 }
    func colMean(_ p: GreyProbe, _ x: Int) -> Double {
      var s = 0
      for y in 0..<h { s += Int(p.pixels[y * w + x]) }
      return Double(s) / Double(h)
    }
    func rowMean(_ p: GreyProbe, _ y: Int) -> Double {
      var s = 0
      for x in 0..<w { s += Int(p.pixels[y * w + x]) }
      return Double(s) / Double(w)
    }
    let reachX = max(1, w / 100)
    let reachY = max(1, h / 100)
    if x0 > 0 {
      let stop = x0 + reachX
      while x0 < min(stop, x1), darkest({ colMean($0, x0) }) <= edgeLimit { x0 += 1 }
    }
    if x1 < w - 1 {
      let stop = x1 - reachX
      while x1 > max(stop, x0), darkest({ colMean($0, x1) }) <= edgeLimit { x1 -= 1 }
    }
    if y0 > 0 {
      let stop = y0 + reachY
      while y0 < min(stop, y1), darkest({ rowMean($0, y0) }) <= edgeLimit { y0 += 1 }
    }
    if y1 < h - 1 {
      let stop = y1 - reachY
      while y1 > max(stop, y0), darkest({ rowMean($0, y1) }) <= edgeLimit { y1 -= 1 }
    }
    let bars = PixelRect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
    // 2. A picture inside a layout: the columns and rows where the frames change.
    guard usable.count >= 3,
      let (inner, extent) = changingBlock(usable, in: bars),
      Double(inner.width) >= minStreamFraction * Double(w),
      Double(extent.width) <= 0.95 * Double(bars.width)
        || Double(extent.height) <= 0.95 * Double(bars.height)
    else {
      // 3. A sharp picture inside a blurred fill (a vertical re-upload: above and below the
      // game a blurred, darkened, zoomed copy of it that moves with it).
      if let sharp = sharpBlock(usable, in: bars) {
        return Detection(bars: bars, picture: sharp, inLayout: true)
      }
      return Detection(bars: bars, picture: bars, inLayout: false)
    }
    return Detection(bars: bars, picture: inner, inLayout: true)
  }

  /// The block of rows inside a portrait `box` that is sharp (its mean luma gradient over the
  /// probes at least 0.35 of the sharpest lines', gaps up to 5 % bridged) while the rows above
  /// and below (each at least 5 % of the height) are blurred (their median line at most 0.45 of
  /// the block's median line), with a landscape shape (width / height ≥ 1.2) and at most 92 %
  /// of the box in one direction; nil otherwise (a whole sharp frame, flat frames). Blurring
  /// keeps a fill's brightness and motion, so neither bars nor changes find the game inside it.
  static func sharpBlock(_ probes: [GreyProbe], in box: PixelRect) -> PixelRect? {
    let w = probes[0].width
    // Only a portrait frame (a vertical upload): a landscape video's own flat bands (a loading
    // screen's margins) must never cut its picture.
    guard box.width >= 16, box.height >= box.width else { return nil }
    // Gradient magnitude (|dx| + |dy|) summed over the probes, per pixel of the box.
    var grad = [Float](repeating: 0, count: box.width * box.height)
    for p in probes {
      p.pixels.withUnsafeBufferPointer { px in
        for y in 0..<(box.height - 1) {
          let row = (box.y + y) * w + box.x
          for x in 0..<(box.width - 1) {
            let v = Int(px[row + x])
            let gx = abs(Int(px[row + x + 1]) - v)
            let gy = abs(Int(px[row + w + x]) - v)
            grad[y * box.width + x] += Float(gx + gy)
          }
        }
      }
    }
    func run(_ values: [Float]) -> (Int, Int, inside: Float, outside: Float)? {
      let sorted = values.sorted()
      let top = sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
      guard top > 0 else { return nil }
      let sharp = values.map { $0 >= 0.35 * top }
      // Gaps of up to 5 % bridged: a game picture has flat bands (a river, a menu's panel).
      let gap = max(2, values.count / 20)
      var best: (Int, Int)?
      var start: Int?
      var last = -1
      func close() {
        if let s = start, last >= s, best.map({ last - s > $0.1 - $0.0 }) ?? true {
          best = (s, last)
        }
      }
      for i in values.indices where sharp[i] {
        if start == nil || i - last > gap + 1 {
          close()
          start = i
        }
        last = i
      }
      close()
      guard let (a, b) = best else { return nil }
      // Medians: a sharp title band in the fill, or a flat band in the game, moves neither.
      func median(_ v: [Float]) -> Float { v.isEmpty ? 0 : v.sorted()[v.count / 2] }
      let inside = median(Array(values[a...b]))
      let rest = Array(values[..<a]) + Array(values[(b + 1)...])
      let outside = rest.isEmpty ? inside : median(rest)
      return (a, b, inside, outside)
    }
    var rows = [Float](repeating: 0, count: box.height)
    for y in 0..<box.height {
      var s: Float = 0
      for x in 0..<box.width { s += grad[y * box.width + x] }
      rows[y] = s / Float(box.width)
    }
    // The fill above and below (each at least 5 % of the height) clearly blurrier.
    guard let r = run(rows), r.outside <= 0.45 * r.inside, r.0 >= box.height / 20,
      r.1 < box.height - box.height / 20
    else { return nil }
    // The rows only: a vertical upload fills above and below the game, and a side fill could
    // not be told from a loading screen's own flat margins (the probes are the first frames).
    let (c0, c1) = (0, box.width - 1)
    let block = PixelRect(x: box.x + c0, y: box.y + r.0, width: c1 - c0 + 1, height: r.1 - r.0 + 1)
    guard Double(block.width) >= 1.2 * Double(block.height),
      Double(block.height) <= 0.92 * Double(box.height)
    else { return nil }
    return block
  }

  /// The block of columns, then rows, inside `box` whose share of changed pixels (between
  /// consecutive probes) is high compared with the most changing ones, with its ends trimmed
  /// (`block`) and untrimmed (`extent`: a game picture's own still HUD rows do not make it a
  /// layout); nil when the frames hardly change at all, or the block is not much livelier than
  /// the rest.
  static func changingBlock(_ probes: [GreyProbe], in box: PixelRect) -> (
    block: PixelRect, extent: PixelRect
  )? {
    let w = probes[0].width
    var changed = [Int32](repeating: 0, count: box.width * box.height)
    changed.withUnsafeMutableBufferPointer { counts in
      for (a, b) in zip(probes, probes.dropFirst()) {
        a.pixels.withUnsafeBufferPointer { pa in
          b.pixels.withUnsafeBufferPointer { pb in
            for y in 0..<box.height {
              let row = (box.y + y) * w + box.x
              let out = y * box.width
              for x in 0..<box.width {
                let d = Int32(pa[row + x]) - Int32(pb[row + x])
                counts[out + x] &+= (d > Int32(changeLimit) || d < -Int32(changeLimit)) ? 1 : 0
              }
            }
          }
        }
      }
    }
    let pairs = Double(probes.count - 1)
    func run(_ values: [Double]) -> (trimmed: (Int, Int), whole: (Int, Int))? {
      let sorted = values.sorted()
      let top = sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
      guard top >= 0.12 else { return nil }
      let live = values.map { $0 >= 0.3 * top }
      // The longest run of live entries, bridging gaps of up to 1% of the length.
      let gap = max(2, values.count / 100)
      var best: (Int, Int)? = nil
      var start: Int? = nil
      var lastLive = -1
      func close() {
        if let s = start, lastLive >= s, best.map({ lastLive - s > $0.1 - $0.0 }) ?? true {
          best = (s, lastLive)
        }
      }
      for i in 0..<values.count where live[i] {
        if start == nil || i - lastLive > gap + 1 {
          close()
          start = i
        }
        lastLive = i
      }
      close()
      guard let whole = best else { return nil }
      var (a, b) = whole
      guard b > a + 2 else { return (whole, whole) }
      // Trim the ends that change clearly less than the run's middle (a static frame line
      // around the picture, whose pixels only move with the compression of their blocks).
      let inner = values[a...b].sorted()
      let median = inner[inner.count / 2]
      while a < b, values[a] < 0.6 * median { a += 1 }
      while b > a, values[b] < 0.6 * median { b -= 1 }
      return ((a, b), whole)
    }
    var cols = [Double](repeating: 0, count: box.width)
    for y in 0..<box.height {
      for x in 0..<box.width { cols[x] += Double(changed[y * box.width + x]) }
    }
    for x in 0..<box.width { cols[x] /= Double(box.height) * pairs }
    guard let colRun = run(cols) else { return nil }
    let (c0, c1) = colRun.trimmed
    var rows = [Double](repeating: 0, count: box.height)
    for y in 0..<box.height {
      var s = 0.0
      for x in c0...c1 { s += Double(changed[y * box.width + x]) }
      rows[y] = s / (Double(c1 - c0 + 1) * pairs)
    }
    guard let rowRun = run(rows) else { return nil }
    let (r0, r1) = rowRun.trimmed
    // A game picture changes over most of its area while a layout around it stays nearly
    // still: the block's share of changed pixels must be high and well above the rest's.
    var inside = 0.0
    var outside = 0.0
    for y in 0..<box.height {
      for x in 0..<box.width {
        let v = Double(changed[y * box.width + x])
        if x >= c0, x <= c1, y >= r0, y <= r1 { inside += v } else { outside += v }
      }
    }
    let insideArea = Double((c1 - c0 + 1) * (r1 - r0 + 1))
    let outsideArea = Double(box.width * box.height) - insideArea
    let inRate = inside / (insideArea * pairs)
    let outRate = outsideArea > 0 ? outside / (outsideArea * pairs) : 0
    guard inRate >= 0.2, inRate >= 3 * outRate else { return nil }
    let (e0, e1) = colRun.whole
    let (f0, f1) = rowRun.whole
    return (
      PixelRect(x: box.x + c0, y: box.y + r0, width: c1 - c0 + 1, height: r1 - r0 + 1),
      PixelRect(x: box.x + e0, y: box.y + f0, width: e1 - e0 + 1, height: f1 - f0 + 1)
    )
  }

  /// `box` (in a `probeWidth`×`probeHeight` probe) in the pixels of a `width`×`height` frame,
  /// with even edges (4:2:0 chroma) and inside the frame.
  public static func scale(
    _ box: PixelRect, fromProbe probeWidth: Int, _ probeHeight: Int, toFrame width: Int,
    _ height: Int
  ) -> PixelRect {
    let sx = Double(width) / Double(max(1, probeWidth))
    let sy = Double(height) / Double(max(1, probeHeight))
    func even(_ v: Double) -> Int { Int((v / 2).rounded()) * 2 }
    let x0 = min(max(0, even(Double(box.x) * sx)), width - 2)
    let y0 = min(max(0, even(Double(box.y) * sy)), height - 2)
    let x1 = min(width, max(x0 + 2, even(Double(box.x + box.width) * sx)))
    let y1 = min(height, max(y0 + 2, even(Double(box.y + box.height) * sy)))
    return PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
  }

  /// The output size for a picture of `box` scaled to `lines` lines with its aspect ratio kept;
  /// the width rounded to a multiple of 16 (libswscale's fast path), at least 16.
  public static func outputSize(for box: PixelRect, lines: Int) -> (width: Int, height: Int) {
    let w = Double(box.width) * Double(lines) / Double(max(1, box.height))
    return (max(16, Int((w / 16).rounded()) * 16), lines)
  }
}
