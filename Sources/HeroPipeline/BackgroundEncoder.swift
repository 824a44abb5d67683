import Dispatch
import HeroCore
import Inception

/// Bottlenecks computed on a queue of their own while the caller goes on decoding: `identify`
/// hands over each full batch of crops as its frames come, so the network runs while libav
/// decodes the next key frames, and the weights' first pass is not left until the clip's end.
///
/// The encoder can be given, or made on that queue by a factory when the first batch comes
/// (`identify` loads the base network while the first key frames are decoded: the factory
/// waits for it there, not in the decoding loop); a factory's error is ``finish()``'s.
///
/// `@unchecked Sendable`: the encoder, its error and `features` are touched only on `queue`
/// (serial), and ``finish()`` reads them there.
public final class BackgroundEncoder: @unchecked Sendable {
  private let queue = DispatchQueue(label: "hero-id.bottlenecks")
  private let makeEncoder: () throws -> any BottleneckEncoder
  private var encoder: (any BottleneckEncoder)?
  private var failure: (any Error)?
  private var features: [Float] = []
  private var pending: [RGBImage] = []
  /// Crops handed over together (the encoder's batch).
  public let batchSize: Int

  public convenience init(encoder: any BottleneckEncoder, batchSize: Int = 16) {
    self.init(makeEncoder: { encoder }, batchSize: batchSize)
  }

  /// `makeEncoder` is called once, on the queue, before the first batch.
  public init(makeEncoder: @escaping () throws -> any BottleneckEncoder, batchSize: Int = 16) {
    self.makeEncoder = makeEncoder
    self.batchSize = max(1, batchSize)
  }

  /// Queues `image`; a full batch starts at once.
  public func add(_ image: RGBImage) {
    pending.append(image)
    if pending.count >= batchSize { flush() }
  }

  /// Every bottleneck, in the order of ``add(_:)``, concatenated (2048 floats each); the
  /// factory's error when the encoder could not be made.
  public func finish() throws -> [Float] {
    flush()
    return try queue.sync {
      if let failure { throw failure }
      return features
    }
  }

  private func flush() {
    guard !pending.isEmpty else { return }
    let batch = pending
    pending = []
    queue.async {
      guard self.failure == nil else { return }
      if self.encoder == nil {
        do { self.encoder = try self.makeEncoder() } catch {
          self.failure = error
          return
        }
      }
      guard let encoder = self.encoder else { return }
      for v in encoder.bottlenecks(batch) { self.features.append(contentsOf: v) }
    }
  }
}
