import Foundation
import HeroCore

extension BottleneckJob {
  /// An image's bottleneck as `hero-id bottleneck` prints it without `--json`: its length,
  /// L2 norm and first four values.
  public static func summaryLine(_ path: String, _ v: [Float]) -> String {
    let head = v.prefix(4).map { String(format: "%.5f", $0) }.joined(separator: " ")
    let l2 = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return "\(path): \(v.count) floats, L2 \(String(format: "%.4f", l2)), first \(head) ..."
  }

  /// An image's `--json` line: `{"image", "bottleneck"}`.
  public static func json(_ path: String, _ v: [Float]) -> JSONValue {
    .object(["image": .string(path), "bottleneck": .array(v.map { .float($0) })])
  }

  /// The `--json` line of an image that could not be read: `{"image", "error"}`.
  public static func failedJSON(_ path: String, _ error: any Error) -> JSONValue {
    .object(["image": .string(path), "error": .string("\(error)")])
  }
}
