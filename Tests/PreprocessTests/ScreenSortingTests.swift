import Foundation
import HeroCore
import Preprocess
import SampleMaker
import Testing

@Suite struct ScreenSortingTests {
  let sorter: ScreenSorter

  init() throws { sorter = try ScreenSorter(layout: .default) }

  /// Frames rendered straight from SampleMaker for heroes the sorter was not tuned on (both
  /// heroes unknown to the classifier included), each screen of a clip every 1.5 s, half of them
  /// perturbed (shift up to 6 px, brightness, contrast and colour).
  @Test func heldOutRenderedFramesMeetTheTargets() throws {
    var evaluation = ScreenEvaluation()
    var rng = SplitMix64(seed: 29)
    for (k, hero) in SampleFrames.heldOutHeroes.enumerated() {
      let spec = ClipSpec(seed: 7_000 + UInt64(k), hero: hero, fps: 2, duration: 18)
      let renderer = ClipRenderer(spec: spec)
      for i in stride(from: 0, to: renderer.frameCount, by: 3) {
        var frame = renderer.frame(at: i)
        if i % 2 == 1 { frame = FrameAugment.perturb(frame, using: &rng) }
        evaluation.add(truth: renderer.screen(at: i), predicted: sorter.sort(frame).screen)
      }
    }
    #expect(evaluation.support(.gameplay) >= 30 && evaluation.total > evaluation.support(.gameplay))
    #expect(evaluation.precision(.gameplay) >= 0.99, "\n\(evaluation.table)")
    #expect(evaluation.recall(.gameplay) >= 0.95, "\n\(evaluation.table)")
  }

  @Test(.enabled(if: SampleFrames.hasCommittedClips, "needs the committed clips under samples/"))
  func perClipScreenCountsMatchTheSidecars() throws {
    var heldOut = ScreenEvaluation()
    var report: [String] = []
    for (path, sidecar) in SampleFrames.committedClips() {
      var truth: [Screen: Int] = [:]
      var predicted: [Screen: Int] = [:]
      for f in try SampleFrames.labelledKeyFrames(path, sidecar: sidecar) {
        let got = sorter.sort(f.image).screen
        truth[f.truth, default: 0] += 1
        predicted[got, default: 0] += 1
        if !SampleFrames.screenModelHeroes.contains(sidecar.hero ?? "") {
          heldOut.add(truth: f.truth, predicted: got)
        }
      }
      let total = truth.values.reduce(0, +)
      #expect(total > 0, "\(path): no key frames")
      // Gameplay counts agree within 5 % of the clip (at least 1 frame); every screen within 2.
      let tolerance = max(1, total / 20)
      #expect(
        abs((truth[.gameplay] ?? 0) - (predicted[.gameplay] ?? 0)) <= tolerance,
        "\(path): truth \(truth), sorted \(predicted)")
      for s in Screen.allCases {
        #expect(
          abs((truth[s] ?? 0) - (predicted[s] ?? 0)) <= 2, "\(path) \(s): \(truth) vs \(predicted)")
      }
      report.append("\(URL(fileURLWithPath: path).lastPathComponent): \(truth) / \(predicted)")
    }
    #expect(heldOut.precision(.gameplay) >= 0.99, "\n\(heldOut.table)")
    #expect(heldOut.recall(.gameplay) >= 0.95, "\n\(heldOut.table)")
  }

  @Test func perturbationsDoNotChangeTheScreen() throws {
    let hero = try #require(Heroes.named("王昭君"))
    let spec = ClipSpec(
      seed: 42, hero: hero, fps: 2, duration: 12,
      spans: [
        ScreenSpan(start: 0, end: 3, screen: .loading),
        ScreenSpan(start: 3, end: 8, screen: .gameplay),
        ScreenSpan(start: 8, end: 10, screen: .shop),
        ScreenSpan(start: 10, end: 12, screen: .other),
      ])
    let renderer = ClipRenderer(spec: spec)
    var rng = SplitMix64(seed: 29)
    for i in [2, 8, 12, 17, 21] {
      let frame = renderer.frame(at: i)
      let truth = renderer.screen(at: i)
      #expect(sorter.sort(frame).screen == truth, "frame \(i)")
      for _ in 0..<3 {
        let d = sorter.sort(FrameAugment.perturb(frame, using: &rng))
        #expect(d.screen == truth, "frame \(i) perturbed: \(d)")
      }
    }
  }

  @Test func aModelForAnotherFeatureCountIsRefused() throws {
    var model = ScreenModel.default
    model.featureCount += 1
    #expect(throws: ScreenModelError.self) {
      try ScreenSorter(layout: .default, model: model, modelSource: "m.json")
    }
  }

  @Test func aBadModelFileIsNamed() throws {
    let path = try writeTemporary("{\"format\": \"x\"}", name: "screens.json")
    do {
      _ = try ScreenModel.load(path: path)
      Issue.record("accepted")
    } catch {
      #expect("\(error)".hasPrefix(path + ": invalid screen model"))
    }
  }

  @Test func trainingSeparatesRingsFromNoRings() throws {
    let f = ScreenFeatures(layout: .default)
    var examples: [ScreenExample] = []
    for seed in 1...6 {
      examples.append(
        ScreenExample(
          features: f.features(of: ringFrame(seed: UInt64(seed), rings: true)), screen: .gameplay))
      examples.append(
        ScreenExample(
          features: f.features(of: ringFrame(seed: UInt64(seed), rings: false)), screen: .other))
    }
    var options = ScreenTrainer.Options()
    options.epochs = 60
    let model = ScreenTrainer.train(
      examples, hudStart: ScreenFeatures.thumbnailCount, layout: "default", trainedOn: "test",
      options: options)
    try model.validate(source: "trained")
    let sorter = try ScreenSorter(layout: .default, model: model)
    #expect(sorter.sort(ringFrame(seed: 99, rings: true)).screen == .gameplay)
    #expect(sorter.sort(ringFrame(seed: 99, rings: false)).screen == .other)
  }
}

@Suite struct SkillCropTests {
  /// The skill-2 crop of a rendered gameplay frame (skill 2 ready, no glow, HUD not shifted)
  /// shows that hero's skill-2 icon: closer to SampleMaker's own rendering of it (inside the
  /// button) than to any other hero's, and close to it on most frames (damage numbers and sparks
  /// may cross the button on some).
  @Test(arguments: ["诸葛亮", "李白", "后羿"])
  func cropShowsTheHerosSkill2Icon(name: String) throws {
    let hero = try #require(Heroes.named(name))
    let spec = ClipSpec(
      seed: 5, hero: hero, fps: 5, duration: 12,
      spans: [ScreenSpan(start: 0, end: 12, screen: .gameplay)], look: ClipLook())
    let renderer = ClipRenderer(spec: spec)
    let icons = Heroes.all.map { ($0.name, renderSkillIcon(hero: $0, slot: 2, size: 104)) }
    var checked = 0
    var close = 0
    for i in 0..<renderer.frameCount
    where renderer.cooldown(slot: 2, at: i) == nil && !renderer.isGlowing(slot: 2, at: i) {
      let crop = try cropSkill(frame: renderer.frame(at: i), layout: .default)
      let diffs = icons.map { ($0.0, SampleFrames.discDifference(crop, $0.1, radius: 36)) }
      let own = diffs.first { $0.0 == name }?.1 ?? 255
      let nearest = diffs.min { $0.1 < $1.1 }
      if own <= 12 { close += 1 }
      #expect(nearest?.0 == name, "frame \(i): nearest icon is \(nearest?.0 ?? "?")")
      checked += 1
      if checked == 5 { break }
    }
    #expect(checked == 5)
    #expect(close >= 4, "\(close) of 5 frames within a mean difference of 12")
  }
}

@Suite struct CommittedClipCropTests {
  /// The crop of gameplay key frames decoded from a committed clip (960x540 at 130 kbit/s,
  /// rescaled to 1280x720, with the clip's HUD offset and colour look) shows its hero's skill-2
  /// icon: of all heroes' icons (SampleMaker's own rendering, shifted by the clip's HUD offset),
  /// its own is the nearest, and within a mean difference of 40 levels.
  @Test(
    .enabled(if: SampleFrames.hasCommittedClips, "needs the committed clips under samples/"),
    arguments: ["train/李白/李白_1.mp4", "test/clip_01.mp4"])
  func cropOfADecodedGameplayFrameShowsTheHerosIcon(relativePath: String) throws {
    let entry = try #require(
      SampleSet.plan(.committed, seed: 2026).first { $0.relativePath == relativePath })
    let hero = try #require(entry.spec.hero)
    let path = SampleFrames.samplesRoot.appendingPathComponent(relativePath).path
    let sidecar = try ClipSidecar.load(path: ClipSidecar.path(forClip: path))
    #expect(sidecar.hudOffset == [entry.spec.look.hudDX, entry.spec.look.hudDY])
    let renderer = ClipRenderer(spec: entry.spec)
    // The HUD offset in the 104-pixel crop: canonical pixels, the crop is taken at 1280x720.
    let dx = entry.spec.look.hudDX
    let dy = entry.spec.look.hudDY
    let icons = Heroes.all.map { ($0.name, renderSkillIcon(hero: $0, slot: 2, size: 104)) }
    var checked = 0
    for f in try SampleFrames.labelledKeyFrames(path, sidecar: sidecar) where f.truth == .gameplay {
      let index = entry.spec.frameIndex(at: f.pts)
      guard renderer.cooldown(slot: 2, at: index) == nil, !renderer.isGlowing(slot: 2, at: index)
      else { continue }
      let crop = try cropSkill(frame: f.image, layout: .default)
      let diffs = icons.map {
        ($0.0, SampleFrames.discDifference(crop, $0.1, radius: 34, dx: dx, dy: dy))
      }
      let own = diffs.first { $0.0 == hero.name }?.1 ?? 255
      let nearest = diffs.min { $0.1 < $1.1 }
      #expect(nearest?.0 == hero.name, "pts \(f.pts): nearest \(nearest?.0 ?? "?") \(diffs)")
      #expect(own <= 40, "pts \(f.pts): mean difference \(own)")
      checked += 1
    }
    #expect(checked >= 2, "gameplay key frames with skill 2 ready: \(checked)")
  }
}

@Suite struct OverlayTests {
  /// Gameplay frames with cooldown overlays or the glow of a skill just used on the buttons
  /// (and whatever sparks and damage numbers fly over them) still sort as gameplay, for a hero
  /// the sorter was not tuned on.
  @Test func cooldownsAndGlowsKeepGameplay() throws {
    let hero = try #require(Heroes.named("诸葛亮"))
    let spec = ClipSpec(
      seed: 11, hero: hero, fps: 5, duration: 20,
      spans: [ScreenSpan(start: 0, end: 20, screen: .gameplay)])
    let renderer = ClipRenderer(spec: spec)
    let sorter = try ScreenSorter(layout: .default)
    var checked = 0
    for i in 0..<renderer.frameCount {
      let busy = (1...3).filter {
        renderer.cooldown(slot: $0, at: i) != nil || renderer.isGlowing(slot: $0, at: i)
      }
      guard busy.count >= 2 else { continue }
      let d = sorter.sort(renderer.frame(at: i))
      #expect(d.screen == .gameplay, "frame \(i), slots \(busy) busy: \(d)")
      checked += 1
      if checked == 8 { break }
    }
    #expect(checked >= 3, "frames with two or more busy buttons: \(checked)")
  }
}
