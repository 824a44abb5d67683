import Dispatch
import Foundation

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

extension LayerProfile {
  /// The table of `hero-id bottleneck --bench N --profile`: seconds per kind summed over the
  /// lanes, milliseconds per image, share of the total, GFLOP/s of direct convolution; then the
  /// 30 slowest layers.
  public func table(images: Int, seconds: Double) -> String {
    let p = self
    let total = p.seconds.filter { !$0.key.hasPrefix("·") && !$0.key.hasPrefix("@") }.values
      .reduce(0, +)
    func pad(_ text: String, _ width: Int) -> String {
      text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
    var lines = [
      pad("kind", 36) + "   calls        s  ms/img       %  GFLOP/s"
    ]
    let kinds = p.seconds.filter { !$0.key.hasPrefix("@") }.sorted { $0.value > $1.value }
    let layers = p.seconds.filter { $0.key.hasPrefix("@") }.sorted { $0.value > $1.value }
    for (kind, s) in kinds + [("", 0)] + layers.prefix(30) {
      if kind.isEmpty {
        lines.append("the 30 slowest layers:")
        continue
      }
      let macs = p.multiplyAdds[kind] ?? 0
      let rate = macs > 0 ? String(format: "%8.1f", 2 * macs / s / 1e9) : "       -"
      lines.append(
        pad(kind, 36)
          + String(
            format: "%8d %8.3f %7.1f %6.1f%% ", p.calls[kind] ?? 0, s, 1000 * s / Double(images),
            100 * s / max(total, 1e-9)) + rate)
    }
    lines.append(
      String(
        format: "layers total %.3f s (%.1f ms/img); wall %.3f s for %d images", total,
        1000 * total / Double(images), seconds, images))
    return lines.joined(separator: "\n")
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
