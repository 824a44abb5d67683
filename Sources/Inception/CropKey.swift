import HeroCore

/// The content key of one network input (issue 28, "no work done twice"): the SHA-1 of the
/// image's width and height (UInt32 little-endian each) followed by its pixels (RGB, rows top to
/// bottom). It is everything the network reads: ``BottleneckEncoder``s resize and scale the
/// image itself, the same way for every image, and the base network is fixed for a run (the
/// tables keyed by it never outlive one). Two crops with the same key are pixel for pixel the
/// same image and get the same bottleneck; file names, slots and times play no part.
public struct CropKey: Hashable, Sendable {
  /// The 20-byte digest.
  public let digest: [UInt8]

  public init(_ image: RGBImage) {
    var hasher = SHA1Hasher()
    let size = [UInt32(image.width).littleEndian, UInt32(image.height).littleEndian]
    size.withUnsafeBytes { hasher.update($0) }
    image.pixels.withUnsafeBytes { hasher.update($0) }
    digest = hasher.finalize()
  }
}
