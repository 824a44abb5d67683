import Dispatch
import Foundation
import HeroCore
import HeroPipeline
import Inception
import TestSupport
import Testing

/// An encoder that records its batches: each image's bottleneck is its first pixel's red value,
/// twice; the first call signals `started`.
final class RecordingEncoder: BottleneckEncoder, @unchecked Sendable {
  let lock = NSLock()
  var batches: [Int] = []
  let started = DispatchSemaphore(value: 0)
  func bottlenecks(_ images: [RGBImage]) -> [[Float]] {
    lock.withLock {
      if batches.isEmpty { started.signal() }
      batches.append(images.count)
    }
    return images.map { [Float($0.pixels[0]), Float($0.pixels[0])] }
  }
}

@Suite struct BackgroundEncoderTests {
  @Test("bottlenecks come back in the order the crops were added, in batches of at most the size")
  func orderAndBatches() throws {
    let recorder = RecordingEncoder()
    let encoder = BackgroundEncoder(encoder: recorder, batchSize: 4)
    for i in 0..<11 { encoder.add(RGBImageFixture.flat(UInt8(10 + i), 0, 0, side: 2)) }
    let features = try encoder.finish()
    let want: [Float] = (0..<11).flatMap { i -> [Float] in [Float(10 + i), Float(10 + i)] }
    #expect(features == want)
    #expect(recorder.lock.withLock { recorder.batches } == [4, 4, 3])
  }

  @Test("a full batch starts while the caller is still adding, not at finish()")
  func startsEarly() throws {
    let recorder = RecordingEncoder()
    let encoder = BackgroundEncoder(encoder: recorder, batchSize: 2)
    encoder.add(RGBImageFixture.flat(1, 0, 0, side: 2))
    encoder.add(RGBImageFixture.flat(2, 0, 0, side: 2))
    // No finish() yet: the first batch must be under way on its own.
    #expect(recorder.started.wait(timeout: .now() + 10) == .success)
    encoder.add(RGBImageFixture.flat(3, 0, 0, side: 2))
    #expect(try encoder.finish() == [1, 1, 2, 2, 3, 3])
  }

  @Test("nothing added: no call, no bottlenecks")
  func empty() throws {
    let recorder = RecordingEncoder()
    #expect(try BackgroundEncoder(encoder: recorder).finish().isEmpty)
    #expect(recorder.lock.withLock { recorder.batches }.isEmpty)
  }

  @Test("an encoder made by a factory is made on the queue: adding crops does not wait for it")
  func factoryDoesNotBlockTheCaller() throws {
    let recorder = RecordingEncoder()
    let release = DispatchSemaphore(value: 0)
    let made = DispatchSemaphore(value: 0)
    // The factory waits (a base network still loading) until the caller has added every crop;
    // made on the caller's thread it would hold the caller for 30 s and be made by the check.
    let encoder = BackgroundEncoder(
      makeEncoder: {
        _ = release.wait(timeout: .now() + 30)
        made.signal()
        return recorder
      }, batchSize: 2)
    for i in 0..<5 { encoder.add(RGBImageFixture.flat(UInt8(i), 0, 0, side: 2)) }
    // Five crops added, two full batches handed over, and still no encoder.
    #expect(made.wait(timeout: .now()) == .timedOut)
    release.signal()
    #expect(try encoder.finish() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    #expect(recorder.lock.withLock { recorder.batches } == [2, 2, 1])
  }

  @Test("a factory's error is finish()'s, made once, and no batch runs")
  func factoryError() {
    struct NoWeights: Error {}
    let calls = NSLock()
    nonisolated(unsafe) var count = 0
    let encoder = BackgroundEncoder(
      makeEncoder: {
        calls.withLock { count += 1 }
        throw NoWeights()
      }, batchSize: 2)
    for i in 0..<5 { encoder.add(RGBImageFixture.flat(UInt8(i), 0, 0, side: 2)) }
    #expect(throws: NoWeights.self) { try encoder.finish() }
    #expect(calls.withLock { count } == 1)
  }
}
