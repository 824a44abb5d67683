import Foundation
import HeroCore
import Inception

/// Encoders kept between the clips of a run, so that a clip does not build a network and its
/// activation buffers afresh (hundreds of megabytes the kernel zeroes page by page: a tenth of
/// `identify`'s CPU time on 21 short clips). ``take(orMake:)`` hands out an idle encoder, or a
/// new one; it comes back to the pool when the clip lets go of it. At most as many encoders as
/// clips run at once are ever made, and they stay until the pool goes (a `serve` process keeps
/// them: its memory stays at its peak instead of falling between uploads).
public final class EncoderPool: @unchecked Sendable {
  private let lock = NSLock()
  private var idle: [any BottleneckEncoder] = []

  public init() {}

  /// An idle encoder, or `make()`'s; handed back when the returned encoder is released.
  public func take(orMake make: () throws -> any BottleneckEncoder) rethrows
    -> any BottleneckEncoder
  {
    let reused: (any BottleneckEncoder)? = lock.withLock { idle.popLast() }
    return Lent(try reused ?? make(), pool: self)
  }

  /// Encoders idle now (tests).
  public var idleCount: Int { lock.withLock { idle.count } }

  fileprivate func giveBack(_ encoder: any BottleneckEncoder) {
    lock.withLock { idle.append(encoder) }
  }

  /// An encoder on loan: forwards every batch, and goes back to the pool when released.
  private final class Lent: BottleneckEncoder {
    let encoder: any BottleneckEncoder
    let pool: EncoderPool

    init(_ encoder: any BottleneckEncoder, pool: EncoderPool) {
      self.encoder = encoder
      self.pool = pool
    }

    func bottlenecks(_ images: [RGBImage]) -> [[Float]] { encoder.bottlenecks(images) }

    deinit { pool.giveBack(encoder) }
  }
}
