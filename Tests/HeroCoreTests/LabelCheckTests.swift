import Foundation
import HeroCore
import Testing

/// `extract --check-with` (issue 27): a label judged by the model's segments of the video.
@Suite struct LabelCheckTests {
  let heroes = ["李白", "韩信", "Zo\u{EB}"]

  func answer(_ segments: [(Double, Double, String?, Int)]) -> IdentifyResult {
    var r = IdentifyResult(
      hero: nil, confidence: 0, reason: "no gameplay frame", frames: 0, gameplayFrames: 0,
      top: [], timeline: [], evidence: nil)
    r.segments = segments.map {
      IdentifyResult.Segment(start: $0.0, end: $0.1, hero: $0.2, confidence: 1, frames: $0.3)
    }
    return r
  }

  @Test func verdicts() {
    let all = LabelCheck.judge(label: "李白", answer: answer([(0, 20, "韩信", 20)]), heroes: heroes)
    #expect(all.verdict == .disagrees && all.named == "韩信" && all.otherFrames == 20)
    #expect(all.warning?.contains("labelled 李白 but 20 of 20 gameplay frames name 韩信") == true)
    let part = LabelCheck.judge(
      label: "李白", answer: answer([(0, 20, "李白", 20), (25, 31, "韩信", 7)]), heroes: heroes)
    #expect(part.verdict == .partly && part.labelFrames == 20 && part.otherFrames == 7)
    let fine = LabelCheck.judge(
      label: "李白", answer: answer([(0, 20, "李白", 20), (25, 31, nil, 7)]), heroes: heroes)
    #expect(fine.verdict == .agrees && fine.warning == nil && fine.unknownFrames == 7)
    // Another hero for fewer frames than the label and "unknown" together: partly, not more.
    let mixed = LabelCheck.judge(
      label: "李白", answer: answer([(0, 9, "韩信", 9), (10, 20, nil, 10)]), heroes: heroes)
    #expect(mixed.verdict == .partly)
    // What the model cannot vouch for.
    let unknownLabel = LabelCheck.judge(
      label: "貂蝉", answer: answer([(0, 20, "韩信", 20)]), heroes: heroes)
    #expect(unknownLabel.verdict == .unchecked && unknownLabel.reason?.contains("貂蝉") == true)
    let nobody = LabelCheck.judge(label: "李白", answer: answer([(0, 20, nil, 20)]), heroes: heroes)
    #expect(nobody.verdict == .unchecked)
    let empty = LabelCheck.judge(label: "李白", answer: answer([]), heroes: heroes)
    #expect(empty.verdict == .unchecked && empty.reason == "no gameplay frame")
    // Names compare under NFC.
    let nfd = LabelCheck.judge(
      label: "Zoe\u{0308}", answer: answer([(0, 20, "Zo\u{EB}", 20)]), heroes: heroes)
    #expect(nfd.verdict == .agrees)
  }

  @Test func whatDropDisagreeingKeepsOut() {
    let segments = answer([(0, 20, "李白", 20), (25, 31, "韩信", 7)]).segments
    let part = LabelCheck.judge(
      label: "李白", answer: answer([(0, 20, "李白", 20), (25, 31, "韩信", 7)]), heroes: heroes)
    #expect(!part.drops(ptsSeconds: 10, segments: segments))
    #expect(part.drops(ptsSeconds: 28, segments: segments))
    // Between segments: the nearer one's.
    #expect(!part.drops(ptsSeconds: 21, segments: segments))
    #expect(part.drops(ptsSeconds: 24, segments: segments))
    let all = LabelCheck.judge(label: "李白", answer: answer([(0, 20, "韩信", 20)]), heroes: heroes)
    #expect(all.drops(ptsSeconds: 100, segments: []))
    let fine = LabelCheck.judge(label: "李白", answer: answer([(0, 20, "李白", 20)]), heroes: heroes)
    #expect(!fine.drops(ptsSeconds: 5, segments: segments))
  }
}
