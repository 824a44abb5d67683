import HeroCore
import HeroPipeline
import Inception
import Testing

/// The encoders `identify` keeps from clip to clip (``EncoderPool``).
@Suite struct EncoderPoolTests {
  /// An encoder that says who it is in every bottleneck.
  final class Tagged: BottleneckEncoder {
    let tag: Float
    init(_ tag: Float) { self.tag = tag }
    func bottlenecks(_ images: [RGBImage]) -> [[Float]] { images.map { _ in [tag] } }
  }

  @Test func aReleasedEncoderIsLentAgainAndTwoLoansAtOnceGetTwo() {
    let pool = EncoderPool()
    var made = 0
    func make() -> any BottleneckEncoder {
      made += 1
      return Tagged(Float(made))
    }
    let image = RGBImage(width: 2, height: 2)
    do {
      let a = pool.take(orMake: make)
      #expect(a.bottlenecks([image, image]) == [[1], [1]])  // forwards every image
      #expect(pool.idleCount == 0)
    }
    // Released: back in the pool, and the next loan is the same network.
    #expect(pool.idleCount == 1)
    do {
      let a = pool.take(orMake: make)
      let b = pool.take(orMake: make)
      #expect(made == 2)
      #expect(a.bottlenecks([image]) == [[1]] && b.bottlenecks([image]) == [[2]])
    }
    #expect(pool.idleCount == 2)
    // A factory's error is the loan's, and nothing is pooled for it.
    struct Broken: Error {}
    let empty = EncoderPool()
    #expect(throws: Broken.self) { _ = try empty.take { throw Broken() } }
    #expect(empty.idleCount == 0)
  }
}
