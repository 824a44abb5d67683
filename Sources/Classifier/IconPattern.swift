import HeroCore
import InceptionKernels

/// A crop's icon as a pattern of pixels, for the "unknown" test: the ring of the button between
/// the centre (where a cooldown shows its number) and the rim, compared by normalised
/// cross-correlation.
///
/// Why: on a cooldown frame the game darkens the whole icon by one factor and writes the seconds
/// left over its centre. Inception's features of such a frame show mostly the number (its shape
/// similarity to the right hero is at chance, docs/training.md), but the darkened ring is the
/// ready icon times a constant, and a correlation coefficient ignores a constant factor (and
/// offset). So a dimmed button still matches its hero's icon, and another hero's icon in a
/// similar colour does not.
///
/// The crop is reduced to `span`×`span` pixels (bilinear to twice that size, then means of 2×2,
/// a cheap antialiased reduction) and kept as bytes, the *thumbnail*. A *window* is the
/// `side`×`side` square at an offset of up to `maxShift` pixels from the centre (a HUD placed a
/// few pixels off between videos); its pattern is the RGB values of the pixels at a radius of
/// `inner` to `outer` half-sides from its centre, minus their mean, scaled to unit length. The
/// similarity of a crop to a prototype (a centred window of a training crop) is the best
/// correlation over the `shiftCount` windows of the crop: 1 for the same picture at any
/// brightness, about 0 for unrelated ones.
public enum IconPattern {
  public static let side = 52
  public static let maxShift = 3
  public static let span = side + 2 * maxShift
  public static let inner: Float = 0.44
  public static let outer: Float = 0.74
  /// Offsets (y × span + x) of the ring's pixels in a window at (0, 0).
  static let ring: [Int] = {
    var out: [Int] = []
    let c = Float(side - 1) / 2
    let half = Float(side) / 2
    for y in 0..<side {
      for x in 0..<side {
        let dx = Float(x) - c
        let dy = Float(y) - c
        let r = (dx * dx + dy * dy).squareRoot() / half
        if r > inner && r < outer { out.append(y * span + x) }
      }
    }
    return out
  }()
  /// Floats in one pattern: 3 channels of the ring.
  public static let size = 3 * ring.count
  public static let shiftCount = (2 * maxShift + 1) * (2 * maxShift + 1)
  public static let thumbnailSize = 3 * span * span

  /// The thumbnail of a crop: 3 planes (R, G, B) of `span`×`span` bytes.
  public static func thumbnail(_ image: RGBImage) -> [UInt8] {
    let big = 2 * span
    let planes = InceptionInput.resized(image, width: big, height: big)
    var out = [UInt8](repeating: 0, count: thumbnailSize)
    for c in 0..<3 {
      for y in 0..<span {
        for x in 0..<span {
          let i = c * big * big + 2 * y * big + 2 * x
          let mean = (planes[i] + planes[i + 1] + planes[i + big] + planes[i + big + 1]) / 4
          out[c * span * span + y * span + x] = UInt8(min(max(mean.rounded(), 0), 255))
        }
      }
    }
    return out
  }

  /// Writes the pattern of the window at (`dx`, `dy`) of `thumbnail` to `out` (`size` floats).
  static func pattern(
    _ thumbnail: UnsafeBufferPointer<UInt8>, dx: Int, dy: Int, into out: UnsafeMutablePointer<Float>
  ) {
    let origin = dy * span + dx
    let plane = span * span
    let n = ring.count
    var sum: Float = 0
    for c in 0..<3 {
      for (k, offset) in ring.enumerated() {
        let v = Float(thumbnail[c * plane + origin + offset])
        out[c * n + k] = v
        sum += v
      }
    }
    let mean = sum / Float(size)
    var norm: Float = 0
    for k in 0..<size {
      out[k] -= mean
      norm += out[k] * out[k]
    }
    // A flat window (all one colour) has no pattern: a zero vector, similarity 0 to anything.
    let inv: Float = norm > 1e-6 ? 1 / norm.squareRoot() : 0
    for k in 0..<size { out[k] *= inv }
  }

  /// The pattern of the centred window: what a training crop contributes as a prototype.
  public static func template(_ thumbnail: [UInt8]) -> [Float] {
    precondition(thumbnail.count == thumbnailSize)
    var out = [Float](repeating: 0, count: size)
    thumbnail.withUnsafeBufferPointer { t in
      out.withUnsafeMutableBufferPointer { o in
        if let p = o.baseAddress { pattern(t, dx: maxShift, dy: maxShift, into: p) }
      }
    }
    return out
  }

  /// For thumbnails (`rows × thumbnailSize` bytes, concatenated): each one's best correlation
  /// over its windows with every prototype pattern (`prototypes.vectors`, `size` floats a row),
  /// `rows × prototypes`. Works through the rows a few at a time (one GEMM per chunk), so memory
  /// stays small for any number of crops.
  public static func similarities(_ thumbnails: [UInt8], to prototypes: Prototypes) -> [Float] {
    precondition(prototypes.inputSize == size && thumbnails.count % thumbnailSize == 0)
    let rows = thumbnails.count / thumbnailSize
    let p = prototypes.labels.count
    var out = [Float](repeating: -1, count: rows * p)
    guard rows > 0, p > 0 else { return out }
    let chunk = 32
    var windows = [Float](repeating: 0, count: chunk * shiftCount * size)
    var products = [Float](repeating: 0, count: chunk * shiftCount * p)
    thumbnails.withUnsafeBufferPointer { all in
      var start = 0
      while start < rows {
        let count = min(chunk, rows - start)
        windows.withUnsafeMutableBufferPointer { w in
          guard let base = w.baseAddress else { return }
          for r in 0..<count {
            let t = UnsafeBufferPointer(rebasing: all[((start + r) * thumbnailSize)...])
            for s in 0..<shiftCount {
              pattern(
                t, dx: s % (2 * maxShift + 1), dy: s / (2 * maxShift + 1),
                into: base + (r * shiftCount + s) * size)
            }
          }
        }
        // In a fixed order (not OpenBLAS, whose sums here depend on its thread count): the
        // "unknown" threshold is chosen on these, and two runs must choose the same.
        Kernels.fixedOrderProduct(
          windows, transposed: prototypes.vectors, into: &products, m: count * shiftCount, n: p,
          k: size)
        for r in 0..<count {
          for s in 0..<shiftCount {
            let row = (r * shiftCount + s) * p
            for k in 0..<p {
              out[(start + r) * p + k] = max(out[(start + r) * p + k], products[row + k])
            }
          }
        }
        start += count
      }
    }
    return out
  }
}

/// What the "unknown" test needs of a crop besides its bottleneck: its colour signature and its
/// icon thumbnail, both from the decoded pixels (the image itself is not kept).
public struct CropLook: Sendable, Equatable {
  public var colour: [Float]
  public var thumbnail: [UInt8]

  public init(colour: [Float], thumbnail: [UInt8]) {
    precondition(colour.count == ColourSignature.size)
    precondition(thumbnail.count == IconPattern.thumbnailSize)
    self.colour = colour
    self.thumbnail = thumbnail
  }

  public static func of(_ image: RGBImage) -> CropLook {
    CropLook(colour: ColourSignature.of(image), thumbnail: IconPattern.thumbnail(image))
  }

  /// The look of an image that could not be read: no colour, a flat thumbnail (similar to
  /// nothing).
  public static let blank = CropLook(
    colour: [Float](repeating: 0, count: ColourSignature.size),
    thumbnail: [UInt8](repeating: 0, count: IconPattern.thumbnailSize))
}
