import Classifier
import Foundation
import HeroCore
import HeroPipeline
import Testing

/// What the front ends share: the usage checks, the option mappings and the output forms that
/// `hero-id` (and `serve`) take from the pipeline instead of writing them each.
@Suite struct FrontEndTests {
  func answer(hero: String?, reason: String? = nil) -> IdentifyResult {
    var r = IdentifyResult(
      hero: hero, confidence: 0.9, reason: reason, frames: 12, gameplayFrames: 10,
      top: [.init(hero: "李白", p: 0.9), .init(hero: "貂蝉", p: 0.05)], timeline: [],
      evidence: .init(pattern: 0.8, colour: 0.7, shape: nil, familiarity: 0.75))
    r.segments = [.init(start: 0, end: 30, hero: hero, confidence: 0.9, frames: 10)]
    return r
  }

  @Test func identifyTableColumns() {
    // CJK characters take two columns; a value wider than its column keeps one space.
    #expect(IdentifyTable.pad("李白", 6) == "李白  ")
    #expect(IdentifyTable.pad("abc", 2) == "abc ")
    #expect(IdentifyTable.header.hasPrefix("CLIP" + String(repeating: " ", count: 36) + "HERO "))
    #expect(IdentifyTable.header.hasSuffix("GAMEPLAY  NOTE"))
    let row = IdentifyTable.row("clip.mp4", answer(hero: "李白"))
    #expect(
      row
        == "clip.mp4" + String(repeating: " ", count: 32) + "李白" + String(repeating: " ", count: 10)
        + "0.900  0.800    0.700   -      0.750     12      10        next: 貂蝉 0.050")
    let unknown = IdentifyTable.row("a\nb.mp4", answer(hero: nil, reason: "too unfamiliar"))
    #expect(unknown.hasPrefix("a\\nb.mp4 "))
    #expect(unknown.contains(" unknown ") && unknown.hasSuffix("10        too unfamiliar"))
    #expect(
      IdentifyTable.failedRow("x.mp4") == "x.mp4" + String(repeating: " ", count: 35)
        + "error (see stderr)")
    #expect(
      IdentifyTable.failedJSON("x.mp4", BrokenClip()).text
        == #"{"video": "x.mp4", "error": "x.mp4: broken"}"#)
  }

  @Test func aCompilationGetsOneLinePerSegment() {
    var r = answer(hero: "李白")
    #expect(IdentifyTable.segmentLines(r) == "")
    r.segments = [
      .init(start: 0, end: 12.5, hero: "李白", confidence: 0.8, frames: 6),
      .init(start: 14, end: 30, hero: nil, confidence: 0.5, frames: 4),
    ]
    let lines = IdentifyTable.segmentLines(r).split(
      separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 3 && lines[0].isEmpty)
    #expect(lines[1] == "      0.0–12.5   s 李白          0.800  6 gameplay frames")
    #expect(lines[2] == "     14.0–30.0   s unknown       0.500  4 gameplay frames")
    #expect(IdentifyTable.row("c.mp4", r).hasSuffix(IdentifyTable.segmentLines(r)))
  }

  @Test func trainUsageProblemsInTheFlagsWords() {
    #expect(TrainJob.Options().usageProblem == nil)
    func problem(_ change: (inout TrainJob.Options) -> Void) -> String? {
      var o = TrainJob.Options()
      change(&o)
      return o.usageProblem
    }
    #expect(problem { $0.training.steps = 0 } == "--steps must be at least 1")
    #expect(problem { $0.training.batchSize = 0 } == "--batch-size must be at least 1")
    #expect(problem { $0.training.evalStepInterval = 0 } == "--eval-step-interval must be >= 1")
    #expect(problem { $0.training.learningRate = .infinity } == "--learning-rate must be positive")
    #expect(problem { $0.training.l2 = -1 } == "--l2 must be >= 0")
    #expect(
      problem { $0.knownRejectRate = 1.5 } == "--known-reject-rate must be between 0 and 1")
    #expect(
      problem {
        $0.validationPercentage = 60
        $0.testingPercentage = 40
      }
        == "--validation-percentage and --testing-percentage must be in 0..<100 and leave room for training"
    )
    #expect(
      problem { $0.distortion.randomScalePercent = 100 }
        == "--random-scale must be a percentage in 0..<100")
    #expect(
      problem { $0.distortion.randomBrightnessPercent = .nan }
        == "--random-brightness must be a percentage in 0..<100")
    #expect(problem { $0.jobs = 0 } == "--jobs must be at least 1")
    #expect(problem { $0.groupSeconds = -1 } == "--group-seconds must be >= 0")
    #expect(problem { $0.reviewCount = 10_001 } == "--review must be 0 to 10000")
    // The first problem in the flags' order is the one named.
    #expect(
      problem {
        $0.jobs = 0
        $0.training.steps = 0
      } == "--steps must be at least 1")
  }

  @Test func theReviewSheetHead() {
    #expect(TrainJob.reviewLines([]).isEmpty)
    let disputed = (0..<6).map {
      TrainingSummary.Disputed(
        file: "李白/a\($0).jpg", hero: "李白", named: "貂蝉", pNamed: 0.81, pLabel: 0.104,
        set: "training")
    }
    let lines = TrainJob.reviewLines(disputed)
    #expect(lines.count == 6)
    #expect(
      lines.first
        == "Labels to review (the model names another hero; 6 in --json and the report), widest first:"
    )
    #expect(lines[1] == "  李白/a0.jpg: 李白, named 貂蝉 (p 0.81 against 0.10, training)")
    #expect(lines.last?.hasPrefix("  李白/a4.jpg: ") == true)
  }

  @Test func footageSettingsFromTheFlags() {
    let found = FootageSettings(fixedLayout: false, debugHUD: nil, maxKeyFrames: 240)
    #expect(found == FootageSettings())
    let fixed = FootageSettings(fixedLayout: true, debugHUD: "hud", maxKeyFrames: 0)
    #expect(fixed.placement == .fixed && fixed.debugHUD == "hud" && fixed.maxKeyFrames == nil)
    #expect(FootageSettings.usageProblem(fixedLayout: true, footage: false, maxKeyFrames: 0) == nil)
    #expect(
      FootageSettings.usageProblem(fixedLayout: false, footage: false, maxKeyFrames: -1)
        == "--max-key-frames must be 0 or more")
    #expect(
      FootageSettings.usageProblem(fixedLayout: true, footage: true, maxKeyFrames: 5)
        == "--footage (finding the HUD, now the default) and --fixed-layout contradict each other")
    // One mapping into every job that reads footage.
    var e = ExtractJob.Options()
    e.footage = fixed
    #expect(e.placement == .fixed && e.debugHUD == "hud" && e.maxKeyFrames == nil)
    var b = BatchExtractJob.Options(out: "o")
    b.footage = fixed
    #expect(b.placement == .fixed && b.debugHUD == "hud" && b.maxKeyFrames == nil)
    var i = IdentifyJob.Options()
    #expect(i.footage == FootageSettings())
    i.footage = fixed
    #expect(i.placement == .fixed && i.debugHUD == "hud" && i.maxKeyFrames == nil)
    #expect(i.footage == fixed)
  }

  @Test func labelCheckSettingsFromTheFlags() {
    #expect(LabelCheckSettings().usageProblem == nil)
    #expect(LabelCheckSettings(checkWith: "m", dropDisagreeing: true).usageProblem == nil)
    #expect(
      LabelCheckSettings(dropDisagreeing: true).usageProblem
        == "--drop-disagreeing needs --check-with MODEL (the model that judges)")
    let check = LabelCheckSettings(checkWith: "m", dropDisagreeing: true)
    var e = ExtractJob.Options()
    #expect(e.labelCheck == LabelCheckSettings())
    e.labelCheck = check
    #expect(e.checkWith == "m" && e.dropDisagreeing)
    var b = BatchExtractJob.Options(out: "o")
    b.labelCheck = check
    #expect(b.checkWith == "m" && b.dropDisagreeing && b.labelCheck == check)
  }
}

/// An error whose description names its file, as the pipeline's errors do.
private struct BrokenClip: Error, CustomStringConvertible {
  var description: String { "x.mp4: broken" }
}
