import Dispatch

/// Seconds spent per kind of layer (and per layer, under `@` and its key) in forward passes (for `hero-id bottleneck --profile` and
/// docs/inception.md's table). One per lane, written by the lane's thread only; a layer split
/// across a team counts its wall time once. Off (nil) unless asked for: then nothing is timed.
public final class LayerProfile: @unchecked Sendable {
  /// Seconds per kind, and the number of layer runs per kind.
  public private(set) var seconds: [String: Double] = [:]
  public private(set) var calls: [String: Int] = [:]
  /// Multiply-adds per kind (as the direct convolution counts them), for GFLOP/s.
  public private(set) var multiplyAdds: [String: Double] = [:]

  public init() {}

  /// Adds `nanoseconds` to `kind`.
  func add(_ kind: String, nanoseconds: UInt64, multiplyAdds: Double = 0) {
    seconds[kind, default: 0] += Double(nanoseconds) / 1e9
    calls[kind, default: 0] += 1
    if multiplyAdds > 0 { self.multiplyAdds[kind, default: 0] += multiplyAdds }
  }

  /// Runs `body`, adding its time to `kind`.
  @inline(__always)
  func time<R>(_ kind: String, multiplyAdds: Double = 0, _ body: () -> R) -> R {
    let start = DispatchTime.now().uptimeNanoseconds
    let r = body()
    add(kind, nanoseconds: DispatchTime.now().uptimeNanoseconds - start, multiplyAdds: multiplyAdds)
    return r
  }

  /// Adds another profile's figures to this one.
  public func merge(_ other: LayerProfile) {
    for (k, v) in other.seconds { seconds[k, default: 0] += v }
    for (k, v) in other.calls { calls[k, default: 0] += v }
    for (k, v) in other.multiplyAdds { multiplyAdds[k, default: 0] += v }
  }

  /// Forgets everything so far (after a warm-up).
  public func reset() {
    seconds = [:]
    calls = [:]
    multiplyAdds = [:]
  }
}

/// Times `body` into `profile` under `kind`, or just runs it when there is no profile.
@inline(__always)
func timed<R>(_ profile: LayerProfile?, _ kind: String, multiplyAdds: Double = 0, _ body: () -> R)
  -> R
{
  guard let profile else { return body() }
  return profile.time(kind, multiplyAdds: multiplyAdds, body)
}
