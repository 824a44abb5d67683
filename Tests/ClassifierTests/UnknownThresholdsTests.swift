import Classifier
import Foundation
import Testing

@Suite("Unknown threshold")
struct UnknownThresholdsTests {
  /// Three heroes, three videos each, 12 frames a video; with `novel`, hero 0 has a fourth video
  /// in a look its other videos do not show (a skin). Every frame is also a prototype. All three
  /// cues give the same similarity, so a frame's familiarity is 2.5 × it:
  /// - a frame against its own video: 0.92;
  /// - against another video of its hero: 0.80–0.88 (a new video of a trained hero);
  /// - the novel video against its hero's other videos: 0.16–0.22, as unfamiliar as
  /// - any frame against another hero: 0.18–0.30 (a stranger; the clips' median decides).
  /// The class probabilities favour the frame's own hero (0.8), so a hero left out is taken for
  /// one of the others.
  static func calibration(novel: Bool) -> UnknownThresholds.Calibration {
    var labels: [Int] = []
    var videos: [Int] = []
    for hero in 0..<3 {
      for video in 0..<(hero == 0 && novel ? 4 : 3) {
        for _ in 0..<12 {
          labels.append(hero)
          videos.append(hero * 10 + video)
        }
      }
    }
    let n = labels.count
    // A fixed spread in 0...1 per pair, from the indices (no generator needed).
    func spread(_ i: Int, _ j: Int) -> Float { Float((i * 7 + j * 13) % 17) / 16 }
    var similarities = [Float](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n {
        let s: Float
        if videos[i] == videos[j] {
          s = 0.92
        } else if labels[i] != labels[j] {
          s = 0.18 + 0.12 * spread(i, j)
        } else if videos[i] == 3 || videos[j] == 3 {
          s = 0.16 + 0.06 * spread(i, j)
        } else {
          s = 0.80 + 0.08 * spread(i, j)
        }
        similarities[i * n + j] = s
      }
    }
    var probabilities = [Float](repeating: 0.1, count: n * 3)
    for i in 0..<n { probabilities[i * 3 + labels[i]] = 0.8 }
    let cue = UnknownThresholds.Calibration.Cue(
      similarities: similarities, labels: labels, videos: videos)
    return UnknownThresholds.Calibration(
      classCount: 3, labels: labels, videos: videos, heldOut: labels.indices.map { $0 % 4 == 0 },
      probabilities: probabilities, shape: cue, colour: cue, pattern: cue)
  }

  @Test("a training video in a look its hero's other videos lack does not sink the threshold")
  func novelVideoLeftOut() {
    let plain = UnknownThresholds.choose(Self.calibration(novel: false))
    #expect(plain.novelVideos == 0)
    // Known clips score 2.5 × 0.80...0.92 = 2.0...2.3, strangers 2.5 × 0.18...0.30 = 0.45...0.75.
    #expect(plain.minFamiliarity >= 2.0 && plain.minFamiliarity <= 2.3)
    #expect(plain.unknownRejectRate == 1)

    let skin = UnknownThresholds.choose(Self.calibration(novel: true))
    #expect(skin.novelVideos == 1)
    // Without the rule, the novel video's clips (200 of 2,600 known clips, 7.7 %) would hold
    // the 3 % quantile at 2.5 × 0.22 = 0.55 or below, and strangers would pass.
    #expect(skin.minFamiliarity >= 2.0 && skin.minFamiliarity <= 2.3)
    #expect(skin.unknownRejectRate == 1)
    #expect(skin.knownRejectRate <= 0.05)
  }

  @Test("the count of novel videos is stored with the model and optional when read")
  func novelVideosCoding() throws {
    let t = UnknownThresholds(minFamiliarity: 1.8, novelVideos: 2)
    let data = try JSONEncoder().encode(t)
    #expect(String(decoding: data, as: UTF8.self).contains("\"novel_training_videos\":2"))
    #expect(try JSONDecoder().decode(UnknownThresholds.self, from: data) == t)
    let old = Data(
      #"{"min_familiarity":1.8,"known_clip_reject_rate":0,"unknown_clip_reject_rate":0}"#.utf8)
    #expect(try JSONDecoder().decode(UnknownThresholds.self, from: old).novelVideos == nil)
  }
}
