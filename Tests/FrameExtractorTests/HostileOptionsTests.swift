import Foundation
import FrameExtractor
import Testing

/// Numeric options and timestamps that used to trap (issue 14).
@Suite("Hostile options and timestamps")
struct HostileOptionsTests {
  @Test("--every must be finite and at least 1 ms: 1e-300, 0, inf, NaN, -1 are refused")
  func every() {
    for bad in [1e-300, 0, 0.0009, .infinity, -.infinity, .nan, -1] {
      #expect(ExtractOptions.everyProblem(bad) != nil, "\(bad)")
      #expect(ExtractOptions(everySeconds: bad).problem != nil)
      // The decoder refuses them with an error, not a precondition failure.
      #expect(throws: ExtractError.self) {
        _ = try KeyFrameDecoder(
          path: "/nonexistent.mp4", options: ExtractOptions(everySeconds: bad))
      }
    }
    for good in [0.001, 0.5, 2, 1e9] { #expect(ExtractOptions.everyProblem(good) == nil) }
  }

  @Test("interval arithmetic on any timestamp cannot trap")
  func intervals() {
    #expect(KeyFrameDecoder.interval(10, origin: 0, every: 2) == 5)
    #expect(KeyFrameDecoder.interval(1e300, origin: 0, every: 0.001) == Int64(1) << 62)
    #expect(KeyFrameDecoder.interval(-1e300, origin: 0, every: 0.001) == -(Int64(1) << 62))
    #expect(KeyFrameDecoder.interval(.infinity, origin: 0, every: 1) == Int64(1) << 62)
    #expect(KeyFrameDecoder.interval(.nan, origin: 0, every: 1) == nil)
    #expect(KeyFrameDecoder.interval(.infinity, origin: .infinity, every: 1) == nil)
  }
}
