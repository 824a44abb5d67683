import Classifier
import Foundation
import HeroCore
import InceptionKernels
import TestSupport
import Testing

@Suite("Clip verdict")
struct ClipVerdictTests {
  let labels = ["a", "b", "c"]
  let thresholds = UnknownThresholds(minFamiliarity: 1.75)

  /// A gameplay frame; by default its familiarity with every hero is 0.9 + 0.8 + 0.8 / 2 = 2.1.
  func frame(
    _ t: Double, _ p: [Float], sim: [Float] = [0.8, 0.8, 0.8], colour: [Float] = [0.9, 0.9, 0.9],
    pattern: [Float] = [0.8, 0.8, 0.8]
  ) -> FrameObservation {
    FrameObservation(
      ptsSeconds: t, screen: .gameplay, probabilities: p, similarities: sim,
      colourSimilarities: colour, patternSimilarities: pattern)
  }

  @Test("mean log-probability picks the hero that is consistently likely")
  func aggregates() {
    let obs = [
      FrameObservation(ptsSeconds: 0, screen: .loading),
      frame(2, [0.9, 0.05, 0.05]), frame(4, [0.8, 0.15, 0.05]), frame(6, [0.3, 0.65, 0.05]),
      FrameObservation(ptsSeconds: 8, screen: .shop),
    ]
    let v = ClipVerdict(observations: obs, labels: labels, thresholds: thresholds)
    #expect(v.hero == "a")
    #expect(v.reason == nil)
    #expect(v.frames == 5 && v.gameplayFrames == 3)
    let expected = exp((log(0.9) + log(0.8) + log(0.3)) / 3)
    #expect(abs((v.top.first?.p ?? 0) - expected) < 1e-6)
    // Confidence: the frames that support the answer; the third frame's best is b.
    #expect(abs(v.confidence - 2.0 / 3) < 1e-9)
    #expect(v.top.map(\.hero) == ["a", "b", "c"])
    #expect(v.timeline.count == 5)
    #expect(v.timeline[0].hero == nil && v.timeline[0].screen == .loading)
    #expect(v.timeline[3].hero == "b" && abs((v.timeline[3].p ?? 0) - 0.65) < 1e-6)
  }

  @Test("one confident wrong frame does not outvote several right ones")
  func robust() {
    let obs = [frame(0, [0.7, 0.3, 0]), frame(1, [0.7, 0.3, 0]), frame(2, [0.0001, 0.9999, 0])]
    // A frame that all but rules "a" out sinks it; a frame that merely prefers "b" does not.
    let v = ClipVerdict(observations: obs, labels: labels, thresholds: thresholds)
    #expect(v.top.first?.hero == "b")
    let balanced = [frame(0, [0.8, 0.2, 0]), frame(1, [0.8, 0.2, 0]), frame(2, [0.3, 0.7, 0])]
    #expect(ClipVerdict(observations: balanced, labels: labels, thresholds: thresholds).hero == "a")
  }

  @Test("a covered crop (danmaku, a subtitle) cannot outvote the clean frames of its clip")
  func coveredFramesDoNotVote() {
    // Five clean frames read "a" without much confidence, and their crops look like a's
    // training crops (familiarity 2.1 with a, 0.65 with b).
    let clean = (0..<5).map {
      frame(
        Double($0), [0.6, 0.3, 0.1], sim: [0.8, 0.3, 0.3], colour: [0.9, 0.4, 0.4],
        pattern: [0.8, 0.1, 0.1])
    }
    // Two frames whose button is under a comment read "b" all but certainly, but their crops
    // look like nobody's (familiarity 0.9 with every hero).
    let covered = (5..<7).map {
      frame(
        Double($0), [0.001, 0.999, 0], sim: [0.4, 0.4, 0.4], colour: [0.5, 0.5, 0.5],
        pattern: [0.2, 0.2, 0.2])
    }
    let v = ClipVerdict(observations: clean + covered, labels: labels, thresholds: thresholds)
    // Every frame voting, "b" would win (mean floored log-probability -0.86 against -1.48) and
    // the clip would be called unknown (b's median familiarity 0.65): the clean frames decide.
    #expect(v.hero == "a")
    #expect(v.voterFrames == 5)
    #expect(abs((v.familiarity ?? 0) - 2.1) < 1e-6)
    #expect(abs((v.top.first?.p ?? 0) - 0.6) < 1e-6)
    #expect(abs(v.confidence - 5.0 / 7) < 1e-9)
    // No frame familiar with its own best hero (a hero never trained): every frame votes, and
    // the answer is "unknown" with the best guess of all of them.
    let stranger = ClipVerdict(observations: covered, labels: labels, thresholds: thresholds)
    #expect(stranger.voterFrames == 2)
    #expect(stranger.hero == nil)
    #expect(stranger.reason?.contains("unlike b's") == true)
  }

  @Test("unknown without gameplay frames, or when the crops are unlike the winner's")
  func unknown() {
    let none = ClipVerdict(
      observations: [FrameObservation(ptsSeconds: 0, screen: .other)], labels: labels,
      thresholds: thresholds)
    #expect(none.hero == nil && none.gameplayFrames == 0)
    #expect(none.reason?.contains("no gameplay frame") == true)
    #expect(none.confidence == 0)

    // Split evidence alone is not "unknown": familiar crops still name the likeliest hero.
    let unsure = ClipVerdict(
      observations: [frame(0, [0.4, 0.35, 0.25]), frame(1, [0.45, 0.3, 0.25])], labels: labels,
      thresholds: thresholds)
    #expect(unsure.hero == "a")
    #expect(abs((unsure.familiarity ?? 0) - 2.1) < 1e-6)

    // Confident, but the icon's pattern is unlike a's: 0.9 + 0.1 + 0.4 < 1.75.
    let strange = ClipVerdict(
      observations: [frame(0, [0.99, 0.005, 0.005], pattern: [0.1, 0.8, 0.8])], labels: labels,
      thresholds: thresholds)
    #expect(strange.hero == nil)
    #expect(strange.reason?.contains("familiarity 1.400 < 1.750") == true)
    #expect(strange.reason?.contains("a's") == true)
    // Its one frame supports "unknown": confidence 1, not the softmax's 0.99 for a.
    #expect(strange.confidence == 1)

    // The same icon in other colours: the winner's colour similarity is what counts.
    let recoloured = ClipVerdict(
      observations: [
        frame(0, [0.99, 0.005, 0.005], colour: [0.4, 0.9, 0.9]),
        frame(1, [0.99, 0.005, 0.005], colour: [0.5, 0.9, 0.9]),
      ], labels: labels, thresholds: thresholds)
    #expect(recoloured.hero == nil)
    #expect(abs((recoloured.colourSimilarity ?? 0) - 0.45) < 1e-6)
    #expect(abs((recoloured.familiarity ?? 0) - 1.65) < 1e-6)
    #expect(recoloured.reason?.contains("colour 0.450") == true)

    // Exactly at the threshold passes.
    let edge = ClipVerdict(
      observations: [
        frame(
          0, [0.9, 0.05, 0.05], sim: [0.5, 0, 0], colour: [0.75, 0, 0], pattern: [0.75, 0, 0])
      ], labels: labels, thresholds: thresholds)
    #expect(edge.hero == "a")
  }

  @Test("the median: one frame under a flash or a damage number does not sink a clip")
  func median() {
    let good = (0..<3).map { frame(Double($0), [0.9, 0.05, 0.05]) }
    let flashed = frame(3, [0.9, 0.05, 0.05], colour: [0.2, 0, 0], pattern: [-0.1, 0, 0])
    let v = ClipVerdict(observations: good + [flashed], labels: labels, thresholds: thresholds)
    #expect(v.hero == "a")
    #expect(abs((v.familiarity ?? 0) - 2.1) < 1e-6)
    // Half the frames unlike a's: the median follows them.
    #expect(v.confidence == 0.75)
    let half = ClipVerdict(
      observations: Array(good.prefix(2)) + [flashed, flashed], labels: labels,
      thresholds: thresholds)
    #expect(half.hero == nil)
    #expect(half.confidence == 0.5)
  }

  @Test("one odd frame costs a hero at most the floor, not a veto")
  func floor() {
    let obs = (0..<7).map { frame(Double($0), [0.99, 0.005, 0.005]) } + [frame(7, [1e-6, 1, 0])]
    let v = ClipVerdict(observations: obs, labels: labels, thresholds: thresholds)
    #expect(v.hero == "a")
    let expected = exp((7 * log(0.99) + log(ClipVerdict.frameProbabilityFloor)) / 8)
    #expect(abs((v.top.first?.p ?? 0) - expected) < 1e-6)
    #expect(v.confidence == 7.0 / 8)
  }

  @Test("a frame's slots combine into one observation: geometric mean, mean similarities")
  func combiningSlots() throws {
    let s1 = frame(3, [0.6, 0.3, 0.1], sim: [0.9, 0.1, 0.2], colour: [0.8, 0.2, 0.4])
    let s2 = frame(3, [0.2, 0.7, 0.1], sim: [0.7, 0.5, 0.2], colour: [0.6, 0.4, 0.4])
    let s3 = frame(3, [0.001, 0.001, 0.998], sim: [0.5, 0.3, 0.2], colour: [0.4, 0.6, 0.4])
    let c = try #require(FrameObservation.combining([s1, s2, s3]))
    #expect(c.ptsSeconds == 3 && c.screen == .gameplay)
    let p = try #require(c.probabilities)
    // Each slot floored at 0.02, geometric mean, renormalised.
    let g = [0.6 * 0.2 * 0.02, 0.3 * 0.7 * 0.02, 0.1 * 0.1 * 0.998].map { pow($0, 1.0 / 3) }
    // Computed in Double and rounded to Float once; three Floats summed.
    for j in 0..<3 {
      let want = g[j] / g.reduce(0, +)
      #expect(abs(Double(p[j]) - want) <= Double(Float(want).ulp))
    }
    #expect(Double(abs(p.reduce(0, +) - 1)) <= RoundingBound.gamma(3 + 3))
    #expect(c.similarities.map { $0.map { ($0 * 1000).rounded() } } == [700, 300, 200])
    #expect(c.colourSimilarities.map { $0.map { ($0 * 1000).rounded() } } == [600, 400, 400])
    // The order of the slots does not matter (a swapped layout gives the same frame).
    let swapped = try #require(FrameObservation.combining([s3, s1, s2]))
    for j in 0..<3 {
      #expect(abs((swapped.probabilities?[j] ?? 0) - p[j]) < 1e-6)
      #expect(abs((swapped.similarities?[j] ?? 0) - (c.similarities?[j] ?? 0)) < 1e-6)
    }
    #expect(FrameObservation.combining([s2]) == s2)
    #expect(FrameObservation.combining([]) == nil)
    // A slot without probabilities leaves the frame without them (not a vote of two).
    let blind = FrameObservation(ptsSeconds: 3, screen: .gameplay)
    #expect(FrameObservation.combining([s1, blind])?.probabilities == nil)
  }
}
