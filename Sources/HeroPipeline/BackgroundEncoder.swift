import Dispatch
import HeroCore
import Inception

/// Bottlenecks computed on a queue of their own while the caller goes on decoding: `identify`
/// hands over each full batch of crops as its frames come, so the network runs while libav
/// decodes the next key frames, and the weights' first pass is not left until the clip's end.
///
/// `@unchecked Sendable`: the encoder and `features` are touched only on `queue` (serial), and
/// ``finish()`` reads them there.
public final class BackgroundEncoder: @unchecked Sendable {
  private let queue = DispatchQueue(label: "hero-id.bottlenecks")
  private let encoder: any BottleneckEncoder
  private var features: [Float] = []
  private var pending: [RGBImage] = []
  /// Crops handed over together (the encoder's batch).
  public let batchSize: Int

  public init(encoder: any BottleneckEncoder, batchSize: Int = 16) {
    self.encoder = encoder
    self.batchSize = max(1, batchSize)
  }

  /// Queues `image`; a full batch starts at once.
  public func add(_ image: RGBImage) {
    pending.append(image)
    if pending.count >= batchSize { flush() }
  }

  /// Every bottleneck, in the order of ``add(_:)``, concatenated (2048 floats each).
  public func finish() -> [Float] {
    flush()
    return queue.sync { features }
  }

  private func flush() {
    guard !pending.isEmpty else { return }
    let batch = pending
    pending = []
    queue.async {
      for v in self.encoder.bottlenecks(batch) { self.features.append(contentsOf: v) }
    }
  }
}
